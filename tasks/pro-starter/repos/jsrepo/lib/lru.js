'use strict';

/**
 * A least-recently-used cache. `max` bounds the number of entries; `ttl` (milliseconds,
 * optional) makes entries expire. Reading an entry with get() counts as using it.
 */
class LRUCache {
	constructor(options = {}) {
		const { max = 100, ttl = 0, now = Date.now } = options;
		if (!Number.isInteger(max) || max < 1) {
			throw new TypeError('max must be a positive integer');
		}
		if (typeof ttl !== 'number' || ttl < 0) {
			throw new TypeError('ttl must be a number >= 0');
		}
		this.max = max;
		this.ttl = ttl;
		this.now = now;
		this.map = new Map();
		this.hits = 0;
		this.misses = 0;
	}

	get size() {
		this.prune();
		return this.map.size;
	}

	expired(entry) {
		return entry.expires !== 0 && entry.expires <= this.now();
	}

	has(key) {
		const entry = this.map.get(key);
		if (!entry) {
			return false;
		}
		if (this.expired(entry)) {
			this.map.delete(key);
			return false;
		}
		return true;
	}

	get(key) {
		const entry = this.map.get(key);
		if (!entry) {
			this.misses += 1;
			return undefined;
		}
		if (this.expired(entry)) {
			this.map.delete(key);
			this.misses += 1;
			return undefined;
		}
		this.hits += 1;
		return entry.value;
	}

	peek(key) {
		const entry = this.map.get(key);
		return entry && !this.expired(entry) ? entry.value : undefined;
	}

	set(key, value, ttl = this.ttl) {
		if (this.map.has(key)) {
			this.map.delete(key);
		}
		this.map.set(key, { value, expires: ttl ? this.now() + ttl : 0 });
		while (this.map.size > this.max) {
			const oldest = this.map.keys().next().value;
			this.map.delete(oldest);
		}
		return this;
	}

	delete(key) {
		return this.map.delete(key);
	}

	clear() {
		this.map.clear();
	}

	prune() {
		for (const [key, entry] of this.map) {
			if (this.expired(entry)) {
				this.map.delete(key);
			}
		}
	}

	keys() {
		this.prune();
		return Array.from(this.map.keys()).reverse();
	}
}

module.exports = { LRUCache };
