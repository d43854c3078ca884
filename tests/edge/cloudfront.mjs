// A CloudFront distribution on loopback, for tests only: the built `template.json` says how it is
// configured, the REAL built `viewer-request.js` decides every request, a directory stands in for
// the private S3 bucket and a local "function URL" (function_url.py) for the login Lambda.
//
//   node cloudfront.mjs --template T --function F --kvs KVS --secret-file S --site WEBROOT
//        [--prefix extranet/] [--metadata OBJECTS.json] [--waf on] --login-url http://127.0.0.1:PORT --port P
//
// What is emulated, from the template (nothing of the site is written here):
// - Behaviours: CacheBehaviors in order, then DefaultCacheBehavior; a PathPattern (`*` any run of
//   characters, `?` one) is matched, case-sensitively, against the path as received, before any
//   function runs (a function's new uri never selects another behaviour, as on CloudFront).
// - Function associations: the behaviour's viewer-request and viewer-response associations run the
//   one function file given (every association must name an AWS::CloudFront::Function).
// - The viewer-request event as documented ("CloudFront Functions event structure"): uri without the
//   query, as received (not decoded); querystring, headers and cookies objects with lowercase names,
//   `{value}` and `multiValue` when repeated; the `cookie` header only as `cookies`.
// - A generated response (statusCode...) goes to the viewer as is: no origin, no custom error page,
//   no viewer-response function and, pessimistically, no response headers policy (the function must
//   put the security headers on it itself).
// - The S3 origin (with OAC): the object key is the percent-decoded uri without its leading `/`,
//   under the origin's OriginPath. The bucket policy's Deny statements on s3:GetObject (their
//   resource suffix after the bucket's ARN, `*` a wildcard) answer 403; a missing key answers 404 if
//   the policy grants s3:ListBucket to CloudFront, else 403 (as S3 does). Objects are the files of
//   --site under --prefix; their Content-Type and Cache-Control are those of --metadata (what the
//   deploy's sync stores with each object), else a small table by extension.
// - The Lambda function URL origin (with OAC): the request goes to --login-url with the function's
//   uri, query string, cookies and the headers the behaviour's origin request policy forwards. The
//   viewer's `authorization` header never reaches it: OAC signs the origin request and puts its own
//   Authorization header in its place, so a function that did not move it loses it, as on AWS.
// - CustomErrorResponses: an origin status listed there is replaced by the page at ResponsePagePath,
//   fetched through the behaviour that path selects (its S3 origin) without any function, with
//   ResponseCode as its status and the page object's own headers (CloudFront's documentation does
//   not list which of the page object's headers it keeps: here Content-Type and Cache-Control).
// - Viewer-response: runs only when the status is below 400 ("CloudFront doesn't invoke edge
//   functions for viewer response events when the origin returns HTTP status code 400 or higher",
//   Restrictions on all edge functions); the event carries the request as the viewer-request
//   function left it and the response's status, headers and cookies.
// - ResponseHeadersPolicy: its SecurityHeadersConfig and CustomHeadersConfig headers are added to
//   every response from an origin or a custom error page (Override true replaces the origin's).
//
// What CloudFront may do differently (the honest limit of this test; only a real distribution shows):
// - The runtime: Node.js runs the code, not CloudFront's cloudfront-js-2.0 engine (its ES subset,
//   its 10 KB and compute-utilization limits); the KeyValueStore is read from kvs.json at once, where
//   the real one propagates within seconds.
// - No cache at all: every request reaches the function and the origin. On CloudFront the function
//   still runs before the cache (viewer-request), so a decision is never cached, but objects are.
// - WAF, only with --waf on: the web ACL's rate-based rules (per client address, their scope-down
//   ByteMatch on the URI path) counted exactly, request by request, over the evaluation window, and
//   their Block custom response. AWS WAF reacts with a delay (it aggregates the counts; AWS says
//   blocking may start some time after the limit is crossed), so a real guesser gets a few more tries.
//   Off by default: the other tests log in from one address more often than the limit allows.
// - CloudFront's own handling of odd request lines (it may normalise or refuse some before any
//   function runs), HTTP/2 and /3, redirect-to-https, compression (Compress), ranges, OAC
//   signatures (never checked), managed policies other than the few known here, the headers
//   CloudFront adds of its own (Via, X-Cache, X-Amz-Cf-Id; X-Forwarded-For to the function URL).
// - Query strings are passed to the function as received (not decoded), as the documentation's
//   examples treat them; a function must not depend on CloudFront decoding them.

import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

import { loadFunction } from "./load-function.mjs";

const options = {};
for (let i = 2; i < process.argv.length; i += 2) {
  options[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
for (const name of ["template", "function", "kvs", "secret-file", "site", "login-url", "port"]) {
  if (options[name] === undefined) throw new Error(`cloudfront.mjs: --${name} is required`);
}

const template = JSON.parse(fs.readFileSync(options.template, "utf8"));

// --- the template ------------------------------------------------------------------------------

// The stack as created with every parameter at its default (no alias, no downloads): conditions
// evaluated, Fn::If resolved, AWS::NoValue removed, resources whose Condition is false left out.
const parameters = Object.fromEntries(Object.entries(template.Parameters || {}).map(([name, spec]) => [name, spec.Default]));
const conditions = {};

function condition(value) {
  if (typeof value === "string") return condition({ Condition: value });
  if ("Condition" in value) {
    const name = value.Condition;
    if (!(name in conditions)) conditions[name] = condition(template.Conditions[name]);
    return conditions[name];
  }
  if ("Fn::Equals" in value) {
    const [a, b] = value["Fn::Equals"].map(scalar);
    return a === b;
  }
  if ("Fn::Not" in value) return !condition(value["Fn::Not"][0]);
  if ("Fn::And" in value) return value["Fn::And"].every(condition);
  if ("Fn::Or" in value) return value["Fn::Or"].some(condition);
  throw new Error(`template: condition ${JSON.stringify(value)} is not emulated`);
}

function scalar(value) {
  if (value && typeof value === "object" && "Ref" in value) {
    if (!(value.Ref in parameters)) throw new Error(`template: a condition refers to ${value.Ref}, not a parameter`);
    return String(parameters[value.Ref]);
  }
  return String(value);
}

const NONE = Symbol("AWS::NoValue");

function resolve(value) {
  if (Array.isArray(value)) return value.map(resolve).filter((item) => item !== NONE);
  if (value && typeof value === "object") {
    if (value.Ref === "AWS::NoValue") return NONE;
    if ("Fn::If" in value) {
      const [name, yes, no] = value["Fn::If"];
      return resolve(condition(name) ? yes : no);
    }
    const result = {};
    for (const [key, inner] of Object.entries(value)) {
      const resolved = resolve(inner);
      if (resolved !== NONE) result[key] = resolved;
    }
    return result;
  }
  return value;
}

const resources = Object.fromEntries(
  Object.entries(template.Resources || {})
    .filter(([, resource]) => resource.Condition === undefined || condition(resource.Condition))
    .map(([id, resource]) => [id, resolve(resource)]),
);
const site = path.resolve(options.site);
const prefix = options.prefix || "";
const metadata = options.metadata ? JSON.parse(fs.readFileSync(options.metadata, "utf8")) : {};
const loginUrl = new URL(options["login-url"]);

function ofType(type) {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function only(type) {
  const found = ofType(type);
  if (found.length !== 1) throw new Error(`template: expected one ${type}, found ${found.length}`);
  return found[0];
}

/** The logical ids an intrinsic function refers to (Ref, Fn::GetAtt, ${X} in Fn::Sub), anywhere in `value`. */
function references(value, found = new Set()) {
  if (Array.isArray(value)) {
    value.forEach((item) => references(item, found));
  } else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "Ref" && typeof inner === "string") found.add(inner);
      else if (key === "Fn::GetAtt") found.add(Array.isArray(inner) ? inner[0] : String(inner).split(".")[0]);
      else if (key === "Fn::Sub") {
        const text = Array.isArray(inner) ? inner[0] : inner;
        for (const match of String(text).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) found.add(match[1]);
        references(inner, found);
      } else references(inner, found);
    }
  }
  return found;
}

/** The literal text of a string expression with every reference left out (Fn::Join, Fn::Sub, plain). */
function literal(value) {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && value["Fn::Join"]) {
    const [separator, parts] = value["Fn::Join"];
    return parts.map(literal).join(separator);
  }
  if (value && typeof value === "object" && value["Fn::Sub"]) {
    const text = Array.isArray(value["Fn::Sub"]) ? value["Fn::Sub"][0] : value["Fn::Sub"];
    return text.replace(/\$\{[^}]*\}/g, "");
  }
  return "";
}

function typeOf(logicalId) {
  return resources[logicalId] ? resources[logicalId].Type : undefined;
}

const [, distribution] = only("AWS::CloudFront::Distribution");
const config = distribution.Properties.DistributionConfig;

function originKind(origin) {
  const types = [...references(origin.DomainName)].map(typeOf);
  if (types.includes("AWS::S3::Bucket") || origin.S3OriginConfig) return "s3";
  if (types.includes("AWS::Lambda::Url")) return "lambda";
  return "other"; // e.g. the downloads bucket (a parameter): a request routed there answers 502 here
}

const origins = Object.fromEntries(
  config.Origins.map((origin) => [origin.Id, { kind: originKind(origin), path: literal(origin.OriginPath || "") }]),
);

/** The headers an origin request policy forwards to the origin; "*" for all of them. */
function forwardedHeaders(policyId) {
  if (policyId === undefined) return new Set(); // CloudFront then forwards none of the viewer's headers
  const ids = [...references(policyId)];
  if (ids.length === 0) {
    // Managed policies by id: AllViewer, AllViewerExceptHostHeader (the rest forward no viewer header).
    if (["216adef6-5c7f-47e4-b989-5492eafa07d3", "b689b0a8-53d0-40ab-baf2-68738e2966ac"].includes(policyId)) {
      return "*";
    }
    return new Set();
  }
  const policy = resources[ids[0]].Properties.OriginRequestPolicyConfig;
  const headers = policy.HeadersConfig || {};
  if (headers.HeaderBehavior === "allViewer" || headers.HeaderBehavior === "allViewerAndWhitelistCloudFront") {
    return "*";
  }
  const names = Array.isArray(headers.Headers) ? headers.Headers : (headers.Headers && headers.Headers.Items) || [];
  return new Set(names.map((name) => name.toLowerCase()));
}

function behaviour(spec, pattern) {
  const associations = {};
  for (const association of spec.FunctionAssociations || []) {
    const targets = [...references(association.FunctionARN)];
    if (targets.length !== 1 || typeOf(targets[0]) !== "AWS::CloudFront::Function") {
      throw new Error(`template: a ${association.EventType} association names no AWS::CloudFront::Function`);
    }
    associations[association.EventType] = targets[0];
  }
  if (spec.LambdaFunctionAssociations && spec.LambdaFunctionAssociations.length) {
    throw new Error("template: Lambda@Edge associations are not emulated");
  }
  const origin = origins[spec.TargetOriginId];
  if (!origin) throw new Error(`template: behaviour ${pattern} targets no origin ${spec.TargetOriginId}`);
  const headers = forwardedHeaders(spec.OriginRequestPolicyId);
  const regex = pattern === undefined ? /^/ : patternRegex(pattern);
  return { pattern, regex, origin, associations, headers, policy: spec.ResponseHeadersPolicyId };
}

function patternRegex(pattern) {
  const body = pattern.replace(/^\/?/, "/").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

const behaviours = [
  ...(config.CacheBehaviors || []).map((spec) => behaviour(spec, spec.PathPattern)),
  behaviour(config.DefaultCacheBehavior, undefined),
];

const errorResponses = new Map(
  (config.CustomErrorResponses || [])
    .filter((entry) => entry.ResponsePagePath !== undefined)
    .map((entry) => [Number(entry.ErrorCode), { page: literal(entry.ResponsePagePath), status: Number(entry.ResponseCode) }]),
);

/** The headers a response headers policy adds: [lowercase name, value, override]. */
function policyHeaders(policyId) {
  if (policyId === undefined) return [];
  const ids = [...references(policyId)];
  if (ids.length !== 1) throw new Error(`template: response headers policy ${JSON.stringify(policyId)} is not in the template`);
  const policy = resources[ids[0]].Properties.ResponseHeadersPolicyConfig;
  const result = [];
  const security = policy.SecurityHeadersConfig || {};
  if (security.ContentSecurityPolicy) {
    result.push(["content-security-policy", security.ContentSecurityPolicy.ContentSecurityPolicy, security.ContentSecurityPolicy.Override]);
  }
  if (security.ContentTypeOptions) result.push(["x-content-type-options", "nosniff", security.ContentTypeOptions.Override]);
  if (security.FrameOptions) result.push(["x-frame-options", security.FrameOptions.FrameOption, security.FrameOptions.Override]);
  if (security.ReferrerPolicy) result.push(["referrer-policy", security.ReferrerPolicy.ReferrerPolicy, security.ReferrerPolicy.Override]);
  if (security.StrictTransportSecurity) {
    const hsts = security.StrictTransportSecurity;
    const value = `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? "; includeSubDomains" : ""}${hsts.Preload ? "; preload" : ""}`;
    result.push(["strict-transport-security", value, hsts.Override]);
  }
  if (security.XSSProtection) {
    const xss = security.XSSProtection;
    const value = xss.Protection ? `1${xss.ModeBlock ? "; mode=block" : ""}${xss.ReportUri ? `; report=${xss.ReportUri}` : ""}` : "0";
    result.push(["x-xss-protection", value, xss.Override]);
  }
  for (const item of (policy.CustomHeadersConfig && policy.CustomHeadersConfig.Items) || []) {
    result.push([item.Header.toLowerCase(), item.Value, item.Override]);
  }
  return result;
}

/** The site bucket's policy: which keys CloudFront may not read (regexes) and whether it may list. */
function bucketPolicy() {
  const origin = config.Origins.find((candidate) => originKind(candidate) === "s3");
  const buckets = [...references(origin.DomainName)].filter((id) => typeOf(id) === "AWS::S3::Bucket");
  const denied = [];
  let listing = false;
  for (const [, policy] of ofType("AWS::S3::BucketPolicy")) {
    if (![...references(policy.Properties.Bucket)].some((id) => buckets.includes(id))) continue;
    for (const statement of [].concat(policy.Properties.PolicyDocument.Statement)) {
      const actions = [].concat(statement.Action);
      if (statement.Condition !== undefined) {
        // CloudFront reaches S3 over TLS: a statement only about plain HTTP never applies to it.
        const text = JSON.stringify(statement.Condition);
        if (text === '{"Bool":{"aws:SecureTransport":"false"}}') continue;
        if (statement.Effect === "Deny" || !text.includes("AWS:SourceArn")) {
          throw new Error(`template: bucket policy condition ${text} is not emulated`);
        }
      }
      if (statement.Effect === "Allow" && actions.some((a) => a === "s3:ListBucket" || a === "s3:*")) listing = true;
      if (statement.Effect !== "Deny" || !actions.some((a) => a === "s3:GetObject" || a === "s3:*")) continue;
      for (const resource of [].concat(statement.Resource)) {
        const text = literal(resource);
        if (!text.includes("/")) continue;
        const body = text.replace(/^[^/]*\//, "").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
        denied.push(new RegExp(`^${body}$`));
      }
    }
  }
  return { denied, listing };
}

const bucket = bucketPolicy();

// --- the function --------------------------------------------------------------------------------

const kvs = Object.fromEntries(JSON.parse(fs.readFileSync(options.kvs, "utf8")).data.map((entry) => [entry.key, entry.value]));
if ("secret" in kvs) throw new Error("kvs.json holds the key `secret`: the session secret must never be in a build file");
kvs.secret = fs.readFileSync(options["secret-file"], "utf8").trim();
const handler = loadFunction(fs.readFileSync(options.function, "utf8"), { kvs });

// --- viewer requests -------------------------------------------------------------------------------

function valueObject(values) {
  return values.length === 1 ? { value: values[0] } : { value: values[0], multiValue: values.map((value) => ({ value })) };
}

function group(pairs) {
  const grouped = {};
  for (const [name, value] of pairs) (grouped[name] = grouped[name] || []).push(value);
  return Object.fromEntries(Object.entries(grouped).map(([name, values]) => [name, valueObject(values)]));
}

function viewerEvent(request, address) {
  const raw = request.url;
  const cut = raw.indexOf("?");
  const uri = cut < 0 ? raw : raw.slice(0, cut);
  const query = cut < 0 ? "" : raw.slice(cut + 1);
  const queryPairs = query === "" ? [] : query.split("&").filter((part) => part !== "").map((part) => {
    const equals = part.indexOf("=");
    return equals < 0 ? [part, ""] : [part.slice(0, equals), part.slice(equals + 1)];
  });
  const headerPairs = [];
  const cookiePairs = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i].toLowerCase();
    const value = request.rawHeaders[i + 1];
    if (name === "cookie") {
      for (const part of value.split(";")) {
        const text = part.trim();
        if (!text) continue;
        const equals = text.indexOf("=");
        cookiePairs.push(equals < 0 ? [text, ""] : [text.slice(0, equals), text.slice(equals + 1)]);
      }
    } else {
      headerPairs.push([name, value]);
    }
  }
  return {
    version: "1.0",
    context: { distributionDomainName: "d111111abcdef8.cloudfront.net", distributionId: "EEMULATOR", eventType: "viewer-request", requestId: crypto.randomUUID() },
    viewer: { ip: address },
    request: { method: request.method, uri, querystring: group(queryPairs), headers: group(headerPairs), cookies: group(cookiePairs) },
  };
}

function queryText(querystring) {
  if (typeof querystring === "string") return querystring;
  const parts = [];
  for (const [name, entry] of Object.entries(querystring || {})) {
    for (const item of entry.multiValue || [entry]) parts.push(item.value === "" ? name : `${name}=${item.value}`);
  }
  return parts.join("&");
}

function headerLines(headers) {
  const lines = [];
  for (const [name, entry] of Object.entries(headers || {})) {
    for (const item of entry.multiValue || [entry]) lines.push([name.toLowerCase(), item.value]);
  }
  return lines;
}

function cookieLines(cookies) {
  const lines = [];
  for (const [name, entry] of Object.entries(cookies || {})) {
    for (const item of entry.multiValue || [entry]) {
      lines.push(["set-cookie", `${name}=${item.value}${item.attributes ? `; ${item.attributes.replace(/^;\s*/, "")}` : ""}`]);
    }
  }
  return lines;
}

// --- origins ---------------------------------------------------------------------------------------

const TYPES = {
  ".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".json": "application/json",
  ".xml": "application/xml", ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/vnd.microsoft.icon",
  ".gz": "application/gzip", ".txt": "text/plain", ".atom": "application/atom+xml", ".ics": "text/calendar",
  ".woff2": "font/woff2", ".map": "application/json", ".webmanifest": "application/manifest+json",
};

function s3Error(status, code) {
  const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  return { status, headers: [["content-type", "application/xml"]], body, cookies: [] };
}

/** The private bucket behind OAC: GET or HEAD of one key. */
function s3(uri, originPath) {
  let key;
  try {
    key = decodeURIComponent(originPath + uri).replace(/^\//, "");
  } catch {
    return s3Error(400, "InvalidURI");
  }
  if (bucket.denied.some((pattern) => pattern.test(key))) return s3Error(403, "AccessDenied");
  const missing = bucket.listing ? s3Error(404, "NoSuchKey") : s3Error(403, "AccessDenied");
  if (!key.startsWith(prefix)) return missing;
  const relative = key.slice(prefix.length);
  // A key is a string, not a path: only keys the sync uploads exist (no empty, `.` or `..` segment).
  if (relative === "" || relative.split("/").some((part) => part === "" || part === "." || part === "..")) return missing;
  const file = path.join(site, ...relative.split("/"));
  if (!file.startsWith(site + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return missing;
  const stored = metadata[key] || {};
  const headers = [["content-type", stored["content-type"] || TYPES[path.extname(file).toLowerCase()] || "application/octet-stream"]];
  if (stored["cache-control"]) headers.push(["cache-control", stored["cache-control"]]);
  return { status: 200, headers, body: fs.readFileSync(file), cookies: [] };
}

/** The login function's URL: the origin request CloudFront would send, and its answer. */
function lambda(request, forwarded, method, body) {
  return new Promise((resolve, reject) => {
    const headers = {};
    for (const [name, value] of headerLines(request.headers)) {
      if (name === "authorization" || name === "host") continue; // OAC signs: its Authorization replaces the viewer's
      if (forwarded !== "*" && !forwarded.has(name)) continue;
      headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
    }
    const cookies = [];
    for (const [name, entry] of Object.entries(request.cookies || {})) {
      for (const item of entry.multiValue || [entry]) cookies.push(`${name}=${item.value}`);
    }
    if (cookies.length) headers.cookie = cookies.join("; ");
    headers.host = loginUrl.host;
    const query = queryText(request.querystring);
    const outgoing = http.request({
      host: loginUrl.hostname, port: loginUrl.port, method, path: request.uri + (query ? `?${query}` : ""), headers,
    }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => {
        const lines = [];
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          const name = response.rawHeaders[i].toLowerCase();
          if (!["connection", "transfer-encoding", "keep-alive", "date", "content-length"].includes(name)) {
            lines.push([name, response.rawHeaders[i + 1]]);
          }
        }
        resolve({ status: response.statusCode, headers: lines, body: Buffer.concat(chunks), cookies: [] });
      });
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

// --- one request -------------------------------------------------------------------------------------

function generated(result) {
  const headers = [...headerLines(result.headers), ...cookieLines(result.cookies)];
  let body = Buffer.alloc(0);
  if (typeof result.body === "string") body = Buffer.from(result.body);
  else if (result.body && result.body.data !== undefined) {
    body = Buffer.from(result.body.data, result.body.encoding === "base64" ? "base64" : "utf8");
  }
  return { status: result.statusCode, headers, body };
}

function withPolicy(answer, policy) {
  const headers = answer.headers.slice();
  for (const [name, value, override] of policyHeaders(policy)) {
    const present = headers.some(([existing]) => existing === name);
    if (present && !override) continue;
    for (let i = headers.length - 1; i >= 0; i -= 1) if (headers[i][0] === name) headers.splice(i, 1);
    headers.push([name, value]);
  }
  return { ...answer, headers };
}

async function viewerResponse(event, request, answer) {
  const response = {
    statusCode: answer.status,
    statusDescription: http.STATUS_CODES[answer.status] || "",
    headers: group(answer.headers.filter(([name]) => name !== "set-cookie")),
    cookies: {},
  };
  const result = await handler({ ...event, context: { ...event.context, eventType: "viewer-response" }, request, response });
  const cookies = answer.headers.filter(([name]) => name === "set-cookie");
  return { status: result.statusCode || answer.status, headers: [...headerLines(result.headers), ...cookies, ...cookieLines(result.cookies)], body: answer.body };
}

/** The web ACL's rate-based rules, when --waf is on: each counts the requests its scope-down matches. */
function firewall() {
  if (options.waf !== "on" || config.WebACLId === undefined) return [];
  const ids = [...references(config.WebACLId)].filter((id) => typeOf(id) === "AWS::WAFv2::WebACL");
  if (ids.length !== 1) throw new Error("template: the distribution's WebACLId names no AWS::WAFv2::WebACL");
  const acl = resources[ids[0]].Properties;
  const types = { TEXT_PLAIN: "text/plain", TEXT_HTML: "text/html", APPLICATION_JSON: "application/json" };
  return [...acl.Rules].sort((a, b) => a.Priority - b.Priority).map((rule) => {
    const rate = rule.Statement.RateBasedStatement;
    const match = rate && rate.ScopeDownStatement && rate.ScopeDownStatement.ByteMatchStatement;
    if (!rate || rate.AggregateKeyType !== "IP" || !match || !match.FieldToMatch.UriPath
        || match.TextTransformations.some((transformation) => transformation.Type !== "NONE")
        || !["EXACTLY", "STARTS_WITH"].includes(match.PositionalConstraint) || !rule.Action.Block) {
      throw new Error(`template: WAF rule ${rule.Name} is not emulated (only IP rate limits on a URI path)`);
    }
    const custom = rule.Action.Block.CustomResponse || {};
    const body = custom.CustomResponseBodyKey ? acl.CustomResponseBodies[custom.CustomResponseBodyKey] : undefined;
    return {
      limit: Number(rate.Limit),
      window: Number(rate.EvaluationWindowSec || 300) * 1000,
      matches: (uri) => (match.PositionalConstraint === "EXACTLY" ? uri === match.SearchString : uri.startsWith(match.SearchString)),
      status: Number(custom.ResponseCode || 403),
      headers: body ? [["content-type", `${types[body.ContentType]}; charset=utf-8`]] : [],
      body: Buffer.from(body ? body.Content : ""),
      seen: new Map(),
    };
  });
}

const rules = firewall();

/** WAF's answer to this request, if one of its rules blocks it (before any function runs). */
function blocked(uri, address) {
  const now = Date.now();
  for (const rule of rules) {
    if (!rule.matches(uri)) continue;
    const times = (rule.seen.get(address) || []).filter((time) => time > now - rule.window);
    times.push(now);
    rule.seen.set(address, times);
    if (times.length > rule.limit) return { status: rule.status, headers: rule.headers, body: rule.body };
  }
  return undefined;
}

async function serve(incoming, body) {
  const address = incoming.socket.remoteAddress.replace(/^::ffff:/, "");
  const event = viewerEvent(incoming, address);
  const refused = blocked(event.request.uri, address);
  if (refused) return refused;
  const chosen = behaviours.find((candidate) => candidate.regex.test(event.request.uri));
  let request = event.request;
  if (chosen.associations["viewer-request"]) {
    const result = await handler(event);
    if (result && result.statusCode !== undefined) return generated(result);
    request = result;
  }
  let answer;
  if (chosen.origin.kind === "s3") {
    answer = s3(request.uri, chosen.origin.path);
  } else {
    answer = await lambda(request, chosen.headers, incoming.method, body);
  }
  const error = errorResponses.get(answer.status);
  if (error) {
    // The page comes through the behaviour its path selects, with no function (as for Lambda@Edge:
    // "the function doesn't execute ... when fetching a custom error page"); the answer keeps the
    // page object's headers (Content-Type, Cache-Control) with the template's status.
    const pageBehaviour = behaviours.find((candidate) => candidate.regex.test(error.page));
    if (pageBehaviour.origin.kind !== "s3") throw new Error(`the error page ${error.page} is not in the bucket`);
    const page = s3(error.page, pageBehaviour.origin.path);
    if (page.status === 200) answer = { ...page, status: error.status };
  }
  if (answer.status < 400 && chosen.associations["viewer-response"]) {
    answer = await viewerResponse(event, request, answer);
  }
  return withPolicy(answer, chosen.policy);
}

const server = http.createServer((incoming, outgoing) => {
  const chunks = [];
  incoming.on("data", (chunk) => chunks.push(chunk));
  incoming.on("end", () => {
    serve(incoming, Buffer.concat(chunks)).then((answer) => {
      // CloudFront answers with the whole object's Content-Length (the emulator never streams).
      const lines = answer.headers.filter(([name]) => !["content-length", "transfer-encoding", "connection"].includes(name));
      lines.push(["content-length", String(answer.body.length)]);
      outgoing.writeHead(answer.status, lines.flat());
      outgoing.end(incoming.method === "HEAD" ? undefined : answer.body);
    }).catch((error) => {
      // A function that throws: CloudFront answers 503 (FunctionExecutionError) and logs it.
      console.error(`${incoming.method} ${incoming.url}: ${error && error.stack ? error.stack : error}`);
      outgoing.writeHead(503, { "content-type": "text/plain" });
      outgoing.end("503 function or origin error (see the emulator's log)\n");
    });
  });
});
server.listen(Number(options.port), "127.0.0.1", () => console.log(`cloudfront emulator on 127.0.0.1:${options.port}`));
