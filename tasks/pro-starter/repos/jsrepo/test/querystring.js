'use strict';

const assert = require('assert');
const qs = require('../lib/querystring');

describe('querystring', () => {
	describe('parse()', () => {
		it('parses simple pairs', () => {
			assert.deepStrictEqual({ ...qs.parse('a=1&b=two') }, { a: '1', b: 'two' });
		});

		it('ignores a leading question mark', () => {
			assert.deepStrictEqual({ ...qs.parse('?page=3') }, { page: '3' });
		});

		it('returns an empty object for empty input', () => {
			assert.deepStrictEqual({ ...qs.parse('') }, {});
			assert.deepStrictEqual({ ...qs.parse(null) }, {});
		});

		it('decodes percent escapes', () => {
			assert.strictEqual(qs.parse('q=caf%C3%A9%20au%20lait').q, 'café au lait');
		});

		it('keeps a malformed escape as written', () => {
			assert.strictEqual(qs.parse('pct=100%').pct, '100%');
		});

		it('collects repeated keys into an array', () => {
			assert.deepStrictEqual(qs.parse('t=a&t=b&t=c').t, ['a', 'b', 'c']);
		});

		it('treats key[] as an array even with one value', () => {
			assert.deepStrictEqual(qs.parse('tag[]=x').tag, ['x']);
		});

		it('gives keys without "=" an empty value', () => {
			assert.strictEqual(qs.parse('flag&x=1').flag, '');
		});

		it('supports a custom separator', () => {
			assert.deepStrictEqual({ ...qs.parse('a=1;b=2', { separator: ';' }) }, { a: '1', b: '2' });
		});

		it("doesn't pollute Object.prototype", () => {
			const parsed = qs.parse('__proto__=x&constructor=y');
			assert.strictEqual(({}).x, undefined);
			assert.strictEqual(parsed.constructor, 'y');
		});
	});

	describe('stringify()', () => {
		it('encodes pairs', () => {
			assert.strictEqual(qs.stringify({ a: 1, b: 'x y' }), 'a=1&b=x%20y');
		});

		it('writes arrays with brackets', () => {
			assert.strictEqual(qs.stringify({ tag: ['x', 'y'] }), 'tag[]=x&tag[]=y');
		});

		it('writes arrays without brackets when asked', () => {
			assert.strictEqual(qs.stringify({ tag: ['x', 'y'] }, { brackets: false }), 'tag=x&tag=y');
		});

		it('skips undefined and writes null as a bare key', () => {
			assert.strictEqual(qs.stringify({ a: undefined, b: null, c: 0 }), 'b&c=0');
		});

		it('sorts keys when asked', () => {
			assert.strictEqual(qs.stringify({ z: 1, a: 2 }, { sort: true }), 'a=2&z=1');
		});

		it('round-trips through parse()', () => {
			const obj = { name: 'Ada Lovelace', langs: ['en', 'fr'], n: '3' };
			assert.deepStrictEqual({ ...qs.parse(qs.stringify(obj)) }, obj);
		});
	});
});
