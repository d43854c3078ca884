// Does this code use only what CloudFront Functions' JavaScript runtime 2.0 documents?
//   node runtime-features.mjs ACORN_MJS < code.js   ->  {"problems": [...], "types": [...]} on stdout
// The code is parsed by acorn as ECMAScript 2017 (the newest syntax the runtime takes: async and
// await), as a module (its imports), so newer syntax (optional chaining, object spread, ...) fails to
// parse. Then every node of the tree must be of a kind the documentation lists
// ("JavaScript runtime 2.0 features for CloudFront Functions": the ES 5.1 statements and operators,
// const and let, async functions and await inside them, arrow functions, rest parameters, the
// exponent operator), which leaves out what ES 2017 has and the runtime does not: classes,
// generators, for-of, destructuring, spread, default parameters, async closures, shorthand and
// computed properties. Names: only what the code declares and the globals the documentation lists
// (no eval or Function constructor, timers, require, process or fetch). Template literals are
// supported by the runtime but refused here: the code must hold no `${` (the CloudFormation template
// carries it inside Fn::Join, where `${` would read as a substitution to a reader of the template).
// Imports: only `cloudfront` and `crypto`.
// Rejected: `node --check` alone (Node parses every ES version, so it proves nothing about the
// runtime), and a list of forbidden words searched in the text (blind to what parses the same).

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const ALLOWED = new Set([
  'Program', 'ImportDeclaration', 'ImportDefaultSpecifier', 'Identifier', 'Literal',
  'VariableDeclaration', 'VariableDeclarator', 'FunctionDeclaration', 'FunctionExpression',
  'ArrowFunctionExpression', 'BlockStatement', 'ExpressionStatement', 'ReturnStatement', 'IfStatement',
  'ForStatement', 'ForInStatement', 'WhileStatement', 'DoWhileStatement', 'BreakStatement',
  'ContinueStatement', 'TryStatement', 'CatchClause', 'ThrowStatement', 'SwitchStatement', 'SwitchCase',
  'LabeledStatement', 'EmptyStatement', 'CallExpression', 'NewExpression', 'MemberExpression',
  'BinaryExpression', 'LogicalExpression', 'UnaryExpression', 'UpdateExpression', 'AssignmentExpression',
  'ConditionalExpression', 'SequenceExpression', 'ObjectExpression', 'Property', 'ArrayExpression',
  'ThisExpression', 'AwaitExpression', 'RestElement',
]);
const MODULES = new Set(['cloudfront', 'crypto']);
// The globals the documentation lists (built-in objects, error types, global functions): a name the
// code neither declares nor finds here (setTimeout, fetch, require, process...) does not exist at the edge.
const GLOBALS = new Set([
  'Object', 'Array', 'String', 'Number', 'Boolean', 'Math', 'JSON', 'Date', 'RegExp', 'Promise', 'Buffer',
  'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'NaN',
  'Infinity', 'undefined', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'isFinite',
  'isNaN', 'parseFloat', 'parseInt', 'console',
]);
const REGEX_FLAGS = /^[gim]*$/;

function check(code, acorn) {
  const problems = [];
  const types = new Set();
  let tree;
  try {
    tree = acorn.parse(code, { ecmaVersion: 2017, sourceType: 'module', locations: true });
  } catch (error) {
    return { problems: ['does not parse as ECMAScript 2017: ' + error.message], types: [] };
  }
  const at = (node) => 'line ' + node.loc.start.line;
  const visit = (node, parent) => {
    types.add(node.type);
    if (!ALLOWED.has(node.type)) {
      problems.push(node.type + ' at ' + at(node) + ' is not in the runtime\'s documented features');
    }
    if ((node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression'
         || node.type === 'ArrowFunctionExpression')) {
      if (node.generator) problems.push('a generator at ' + at(node));
      if (node.async && !(node.type === 'FunctionDeclaration' && parent && parent.type === 'Program')) {
        problems.push('an async closure at ' + at(node) + ' (only top-level async functions)');
      }
    }
    if (node.type === 'RestElement' && !(parent && /Function/.test(parent.type))) {
      problems.push('a rest element outside parameters at ' + at(node));
    }
    if (node.type === 'Property' && (node.shorthand || node.method || node.computed || node.kind !== 'init')) {
      problems.push('a shorthand, method, computed or accessor property at ' + at(node));
    }
    if (node.type === 'Literal' && node.regex && !REGEX_FLAGS.test(node.regex.flags)) {
      problems.push('regular expression flags ' + node.regex.flags + ' at ' + at(node));
    }
    if (node.type === 'ImportDeclaration' && !MODULES.has(node.source.value)) {
      problems.push('an import of ' + node.source.value + ' at ' + at(node));
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc') continue;
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child.type === 'string') visit(child, node);
      }
    }
  };
  visit(tree, null);
  for (const node of free(tree)) {
    problems.push(node.name + ' at ' + at(node) + ' is neither declared nor a global of the runtime');
  }
  if (code.includes('${')) {
    problems.push('the code holds `${`');
  }
  return { problems, types: [...types].sort() };
}

// Identifiers read as variables that nothing in the code declares and the runtime does not define.
// One scope for the whole file (the function is small): a name declared anywhere counts as declared.
function free(tree) {
  const declared = new Set();
  const used = [];
  const walk = (node, parent, key) => {
    if (node.type === 'Identifier') {
      const property = (parent.type === 'MemberExpression' && key === 'property' && !parent.computed)
        || (parent.type === 'Property' && key === 'key' && !parent.computed)
        || (parent.type === 'LabeledStatement' || parent.type === 'BreakStatement'
            || parent.type === 'ContinueStatement');
      const declaration = (parent.type === 'VariableDeclarator' && key === 'id')
        || (/Function/.test(parent.type) && (key === 'id' || key === 'params'))
        || (parent.type === 'CatchClause' && key === 'param') || parent.type === 'ImportDefaultSpecifier'
        || (parent.type === 'RestElement');
      if (declaration) declared.add(node.name);
      else if (!property) used.push(node);
      return;
    }
    for (const [name, value] of Object.entries(node)) {
      if (name === 'loc') continue;
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child.type === 'string') walk(child, node, name);
      }
    }
  };
  walk(tree, null, null);
  return used.filter((node) => !declared.has(node.name) && !GLOBALS.has(node.name));
}

const acorn = await import(pathToFileURL(process.argv[2]).href);
process.stdout.write(JSON.stringify(check(readFileSync(0, 'utf8'), acorn)) + '\n');
