'use strict';

const assert = require('assert');
const { render, compile, TemplateError } = require('../lib/template');

describe('template', () => {
	describe('render()', () => {
		it('substitutes values', () => {
			assert.strictEqual(render('Hello {{ name }}!', { name: 'Ada' }), 'Hello Ada!');
		});

		it('follows dotted paths', () => {
			assert.strictEqual(render('{{ user.address.city }}', { user: { address: { city: 'Paris' } } }), 'Paris');
		});

		it('renders missing values as an empty string', () => {
			assert.strictEqual(render('[{{ nope.deeper }}]', {}), '[]');
		});

		it('escapes HTML by default', () => {
			assert.strictEqual(render('{{ x }}', { x: '<b>"hi"</b> & \'bye\'' }), '&lt;b&gt;&quot;hi&quot;&lt;/b&gt; &amp; &#39;bye&#39;');
		});

		it('leaves triple-brace tags unescaped', () => {
			assert.strictEqual(render('{{{ x }}}', { x: '<i>raw</i>' }), '<i>raw</i>');
		});

		it('renders numbers and zero', () => {
			assert.strictEqual(render('{{ n }}/{{ z }}', { n: 42, z: 0 }), '42/0');
		});

		it('renders the context itself with "."', () => {
			assert.strictEqual(render('{{ . }}', 'plain'), 'plain');
		});
	});

	describe('filters', () => {
		it('applies a filter', () => {
			assert.strictEqual(render('{{ name | upper }}', { name: 'ada' }), 'ADA');
		});

		it('chains filters left to right', () => {
			assert.strictEqual(render('{{ name | trim | capitalize }}', { name: '  ada ' }), 'Ada');
		});

		it('has json and length filters', () => {
			assert.strictEqual(render('{{{ v | json }}} {{ v | length }}', { v: [1, 2] }), '[1,2] 2');
		});

		it('throws TemplateError for an unknown filter', () => {
			assert.throws(() => render('{{ x | shout }}', { x: 1 }), err => err instanceof TemplateError && /Unknown filter "shout" at offset 0/.test(err.message));
		});
	});

	describe('compile()', () => {
		it('returns a reusable function', () => {
			const greet = compile('Hi {{ who }}');
			assert.strictEqual(greet({ who: 'A' }), 'Hi A');
			assert.strictEqual(greet({ who: 'B' }), 'Hi B');
		});

		it('rejects an empty tag', () => {
			assert.throws(() => compile('a {{ }} b'), TemplateError);
		});
	});
});
