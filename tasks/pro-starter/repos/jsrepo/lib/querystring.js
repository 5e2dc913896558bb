'use strict';

/**
 * Query strings: `a=1&b=2`, repeated keys and `key[]` arrays.
 *
 * parse() returns a plain object; a key seen more than once, or written as `key[]`,
 * becomes an array. stringify() is the inverse for strings, numbers, booleans and arrays.
 */

function decode(text) {
	try {
		return decodeURIComponent(text);
	} catch (err) {
		// A stray "%" that is not an escape is kept as written.
		return text;
	}
}

function parse(input, options = {}) {
	const separator = options.separator || '&';
	const result = Object.create(null);
	let text = String(input == null ? '' : input);
	if (text.startsWith('?')) {
		text = text.slice(1);
	}
	if (!text) {
		return result;
	}
	for (const part of text.split(separator)) {
		if (!part) {
			continue;
		}
		const eq = part.indexOf('=');
		let key = decode(eq === -1 ? part : part.slice(0, eq));
		const value = eq === -1 ? '' : decode(part.slice(eq + 1));
		let forceArray = false;
		if (key.endsWith('[]')) {
			key = key.slice(0, -2);
			forceArray = true;
		}
		if (!key) {
			continue;
		}
		if (Object.prototype.hasOwnProperty.call(result, key)) {
			const existing = result[key];
			result[key] = Array.isArray(existing) ? existing.concat(value) : [existing, value];
		} else {
			result[key] = forceArray ? [value] : value;
		}
	}
	return result;
}

function encode(value) {
	return encodeURIComponent(value);
}

function stringify(obj, options = {}) {
	if (!obj || typeof obj !== 'object') {
		return '';
	}
	const separator = options.separator || '&';
	let keys = Object.keys(obj);
	if (options.sort) {
		keys = keys.sort();
	}
	const parts = [];
	for (const key of keys) {
		const value = obj[key];
		if (value === undefined) {
			continue;
		}
		if (Array.isArray(value)) {
			const name = options.brackets === false ? encode(key) : `${encode(key)}[]`;
			for (const item of value) {
				parts.push(`${name}=${encode(item == null ? '' : String(item))}`);
			}
		} else if (value === null) {
			parts.push(encode(key));
		} else {
			parts.push(`${encode(key)}=${encode(String(value))}`);
		}
	}
	return parts.join(separator);
}

module.exports = { parse, stringify };
