'use strict';

const querystring = require('./lib/querystring');
const { LRUCache } = require('./lib/lru');
const template = require('./lib/template');

module.exports = {
	querystring,
	LRUCache,
	template,
	render: template.render,
};
