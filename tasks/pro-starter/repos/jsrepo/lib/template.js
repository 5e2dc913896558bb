'use strict';

/**
 * A tiny template engine.
 *
 *   {{ path.to.value }}            HTML-escaped value (missing values render as "")
 *   {{{ path }}}                   the value without escaping
 *   {{ name | upper | trim }}      filters, applied left to right
 *
 * Filters: upper, lower, trim, capitalize, json, length.
 */

const ESCAPES = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

function escapeHtml(value) {
	return String(value).replace(/[&<>"']/g, ch => ESCAPES[ch]);
}

const filters = {
	upper: v => String(v).toUpperCase(),
	lower: v => String(v).toLowerCase(),
	trim: v => String(v).trim(),
	capitalize: v => {
		const s = String(v);
		return s.charAt(0).toUpperCase() + s.slice(1);
	},
	json: v => JSON.stringify(v),
	length: v => (v == null ? 0 : v.length),
};

class TemplateError extends Error {
	constructor(message, position) {
		super(`${message} at offset ${position}`);
		this.name = 'TemplateError';
		this.position = position;
	}
}

function lookup(context, path) {
	if (path === '.') {
		return context;
	}
	let value = context;
	for (const part of path.split('.')) {
		if (value == null) {
			return undefined;
		}
		value = value[part];
	}
	return value;
}

function applyFilters(value, names, position) {
	let out = value;
	for (const raw of names) {
		const name = raw.trim();
		const fn = filters[name];
		if (!fn) {
			throw new TemplateError(`Unknown filter "${name}"`, position);
		}
		out = fn(out);
	}
	return out;
}

const TAG = /\{\{\{\s*([^}]*?)\s*\}\}\}|\{\{\s*([^}]*?)\s*\}\}/g;

function compile(source) {
	const parts = [];
	let last = 0;
	let match;
	TAG.lastIndex = 0;
	while ((match = TAG.exec(source)) !== null) {
		if (match.index > last) {
			parts.push({ text: source.slice(last, match.index) });
		}
		const raw = match[1] !== undefined;
		const expr = raw ? match[1] : match[2];
		const [path, ...filterNames] = expr.split('|');
		if (!path.trim()) {
			throw new TemplateError('Empty tag', match.index);
		}
		parts.push({ path: path.trim(), filters: filterNames, raw, position: match.index });
		last = TAG.lastIndex;
	}
	if (last < source.length) {
		parts.push({ text: source.slice(last) });
	}
	return function renderCompiled(context = {}) {
		let out = '';
		for (const part of parts) {
			if (part.text !== undefined) {
				out += part.text;
				continue;
			}
			let value = applyFilters(lookup(context, part.path), part.filters, part.position);
			if (value == null) {
				value = '';
			}
			out += part.raw ? String(value) : escapeHtml(value);
		}
		return out;
	};
}

function render(source, context) {
	return compile(source)(context);
}

module.exports = { compile, render, escapeHtml, filters, TemplateError };
