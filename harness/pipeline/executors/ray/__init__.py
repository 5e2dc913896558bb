"""`--executor ray`: attempts run as tasks on the nodes of a Ray cluster (docs/cluster.md).

- Placement: a node advertises how many sandboxes it can hold with the custom resource
  `sandbox` (`ray start ... --resources '{"sandbox": N}'`); every attempt asks for one. The
  driver keeps at most as many attempts submitted as the cluster has sandboxes, so stopping
  (budget spent, a failed attempt) starts nothing more and the scheduling delay it measures
  is Ray's own. Before the first attempt every sandbox gets a prepared process; each next
  attempt asks (softly) for the node where the last one just ended. Images are built or
  pulled by the node that runs the attempt, tagged by the same content hashes as locally, so
  a node never rebuilds what it has.
- Results: a task runs its attempt in a scratch folder on its node and returns the record
  with the attempt's files; the driver writes the files, then the record. Nodes need no
  shared filesystem, and only the driver writes under the results dir, so a task Ray runs
  twice (its node died) cannot leave two writers in one attempt folder.
- Shared state: one `Coordinator` actor on the head node holds the per-key API limiter, the
  run budget, how many times each attempt has started (`node_retries` in the record) and the
  paid calls of each run of an attempt (a re-run's record includes those of runs that died),
  and every line the nodes' call logs write, which the driver appends to calls.jsonl each
  collect round and when the run ends.
- Faults: a task whose node dies is re-run elsewhere by Ray (`max_retries`, bounded); if it
  keeps failing it is reported as lost (`AttemptsLost`) and a resume runs it. Containers carry
  `harness.node` (the node that started them): a process that starts on a node removes the
  run's containers of nodes that are dead, and the driver removes the run's containers on
  every alive node when the run starts, ends or is interrupted.
"""


from harness.pipeline.executors.ray.driver import RayExecutor

__all__ = ["RayExecutor"]
