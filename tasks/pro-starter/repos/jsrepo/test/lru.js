'use strict';

const assert = require('assert');
const { LRUCache } = require('../lib/lru');

function fakeClock(start = 1000) {
	const clock = () => clock.t;
	clock.t = start;
	return clock;
}

describe('LRUCache', () => {
	it('stores and returns values', () => {
		const cache = new LRUCache({ max: 3 });
		cache.set('a', 1).set('b', 2);
		assert.strictEqual(cache.get('a'), 1);
		assert.strictEqual(cache.get('b'), 2);
		assert.strictEqual(cache.get('c'), undefined);
		assert.strictEqual(cache.size, 2);
	});

	it('rejects a bad max or ttl', () => {
		assert.throws(() => new LRUCache({ max: 0 }), TypeError);
		assert.throws(() => new LRUCache({ max: 1.5 }), TypeError);
		assert.throws(() => new LRUCache({ ttl: -1 }), TypeError);
	});

	it('counts hits and misses', () => {
		const cache = new LRUCache();
		cache.set('a', 1);
		cache.get('a');
		cache.get('nope');
		assert.deepStrictEqual([cache.hits, cache.misses], [1, 1]);
	});

	describe('eviction', () => {
		it('evicts the oldest entry when full', () => {
			const cache = new LRUCache({ max: 2 });
			cache.set('a', 1).set('b', 2).set('c', 3);
			assert.strictEqual(cache.has('a'), false);
			assert.deepStrictEqual(cache.keys(), ['c', 'b']);
		});

		it('treats set() on an existing key as a use', () => {
			const cache = new LRUCache({ max: 2 });
			cache.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
			assert.strictEqual(cache.get('a'), 10);
			assert.strictEqual(cache.has('b'), false);
		});

		it('does not count peek() as a use', () => {
			const cache = new LRUCache({ max: 2 });
			cache.set('a', 1).set('b', 2);
			assert.strictEqual(cache.peek('a'), 1);
			cache.set('c', 3);
			assert.strictEqual(cache.has('a'), false);
		});
	});

	describe('ttl', () => {
		it('expires entries after ttl milliseconds', () => {
			const now = fakeClock();
			const cache = new LRUCache({ ttl: 50, now });
			cache.set('a', 1);
			now.t += 49;
			assert.strictEqual(cache.get('a'), 1);
			now.t += 1;
			assert.strictEqual(cache.get('a'), undefined);
			assert.strictEqual(cache.size, 0);
		});

		it('lets set() override the default ttl', () => {
			const now = fakeClock();
			const cache = new LRUCache({ ttl: 10, now });
			cache.set('long', 1, 1000);
			now.t += 500;
			assert.strictEqual(cache.has('long'), true);
		});

		it('prunes expired entries from keys()', () => {
			const now = fakeClock();
			const cache = new LRUCache({ now });
			cache.set('keep', 1).set('drop', 2, 5);
			now.t += 10;
			assert.deepStrictEqual(cache.keys(), ['keep']);
		});
	});

	it('delete() and clear() remove entries', () => {
		const cache = new LRUCache();
		cache.set('a', 1).set('b', 2);
		assert.strictEqual(cache.delete('a'), true);
		assert.strictEqual(cache.delete('a'), false);
		cache.clear();
		assert.strictEqual(cache.size, 0);
	});
});
