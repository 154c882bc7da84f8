#!/usr/bin/env node
// Interop: a Node client (@grpc/grpc-js + @grpc/proto-loader, loading the
// .proto files at run time) against the real server on an ephemeral port:
// health, CreateCase, AddComment, FindCases, GetCase, and error codes. Then
// the shared interop scenario: a Jira connector at the strict fake Jira
// process (tests/fakes/fake_jira_server), a case, a comment, PushCase,
// FindCases/GetCase with the external service, and the fake's side checked.
//
// Usage: node node_client_test.js SERVER_BINARY PROTO_DIR PLUGIN_DIR FAKE_JIRA_BINARY
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [serverBin, protoDir, pluginDir, fakeBin] = process.argv.slice(2);
if (!serverBin || !protoDir || !pluginDir || !fakeBin) {
  console.error('usage: node_client_test.js SERVER_BINARY PROTO_DIR PLUGIN_DIR FAKE_JIRA_BINARY');
  process.exit(2);
}
const ENCRYPTION_KEY = 'interop-test-key-0123456789abcdef0123456789';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'casebridge-nodeinterop-'));
let server = null;
let fake = null;
let failures = 0;

function check(cond, what) {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failures += 1;
}

function cleanup() {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  if (fake && fake.exitCode === null) fake.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
}

function startServer() {
  const out = fs.openSync(path.join(tmp, 'stdout.log'), 'w');
  const err = fs.openSync(path.join(tmp, 'stderr.log'), 'w');
  // The fake Jira listens on loopback, which the egress policy refuses by
  // default.
  const config = path.join(tmp, 'casebridge.yaml');
  fs.writeFileSync(config,
    `plugin_dirs: ["${pluginDir}"]\nhttp:\n  allow_private_addresses: true\n`);
  server = spawn(serverBin, ['--config', config, '--listen', '127.0.0.1:0', '--data-dir',
    path.join(tmp, 'data')], {
    stdio: ['ignore', out, err],
    env: { ...process.env, CASEBRIDGE_ENCRYPTION_KEY: ENCRYPTION_KEY },
  });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30000;
    const poll = () => {
      const text = fs.readFileSync(path.join(tmp, 'stdout.log'), 'utf8');
      const m = text.match(/^LISTENING (\S+):(\d+)\n/m);
      if (m) return resolve(`127.0.0.1:${m[2]}`);
      if (server.exitCode !== null || Date.now() > deadline) {
        return reject(new Error('server did not start: ' +
          fs.readFileSync(path.join(tmp, 'stderr.log'), 'utf8')));
      }
      setTimeout(poll, 20);
    };
    poll();
  });
}

// tests/fakes/fake_jira_server: prints "LISTENING <url>", then answers
// "issues" on stdin with one JSON line.
function startFakeJira() {
  fake = spawn(fakeBin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffered = '';
  const waiting = [];
  fake.stdout.on('data', (chunk) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const next = waiting.shift();
      if (next) next(line);
    }
  });
  const nextLine = () => new Promise((resolve) => waiting.push(resolve));
  return nextLine().then((first) => {
    if (!first.startsWith('LISTENING ')) throw new Error('fake Jira did not start: ' + first);
    return {
      baseUrl: first.slice('LISTENING '.length).trim(),
      issues: () => {
        const line = nextLine();
        fake.stdin.write('issues\n');
        return line.then((text) => JSON.parse(text));
      },
    };
  });
}

function call(client, method, request, seconds = 10) {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + seconds * 1000);
    client[method](request, { deadline }, (error, response) => resolve({ error, response }));
  });
}

async function main() {
  const definition = protoLoader.loadSync(
    ['casebridge/v1/case_service.proto', 'casebridge/v1/connector_service.proto',
      'grpc/health/v1/health.proto'],
    { includeDirs: [protoDir], keepCase: true, enums: String, longs: String, defaults: true,
      oneofs: true });
  const pkg = grpc.loadPackageDefinition(definition);
  const address = await startServer();
  const creds = grpc.credentials.createInsecure();
  const health = new pkg.grpc.health.v1.Health(address, creds);
  const cases = new pkg.casebridge.v1.CaseService(address, creds);

  let r = await call(health, 'Check', { service: '' });
  check(!r.error && r.response.status === 'SERVING', 'health SERVING');

  r = await call(cases, 'CreateCase', {
    title: 'Node interop', description: 'created from node', tags: ['node'], owner: 'nodeinterop',
    severity: 'CASE_SEVERITY_CRITICAL',
  });
  check(!r.error, 'CreateCase ok' + (r.error ? ': ' + r.error.message : ''));
  const created = r.response ? r.response.case : null;
  check(created && created.id.length > 0, 'CreateCase returns an id');
  check(created && created.severity === 'CASE_SEVERITY_CRITICAL', 'severity kept');
  check(created && created.status === 'CASE_STATUS_OPEN', 'new case is open');

  if (created) {
    r = await call(cases, 'AddComment', {
      case_id: created.id, owner: 'nodeinterop', attachment: { user: { comment: 'hi from node' } },
    });
    check(!r.error && r.response.case.comments.length === 1 &&
          r.response.case.comments[0].content.user.comment === 'hi from node',
          'AddComment returns the case with the comment');

    r = await call(cases, 'FindCases', { owners: ['nodeinterop'], search: 'node' });
    check(!r.error && Number(r.response.total) === 1 && r.response.cases[0].id === created.id,
          'FindCases finds it');

    r = await call(cases, 'GetCase', { id: created.id, include_comments: true });
    check(!r.error && r.response.case.title === 'Node interop' &&
          r.response.case.total_comment === 1, 'GetCase reads it back');
  }

  r = await call(cases, 'CreateCase', { title: '', description: 'd', owner: 'nodeinterop' });
  check(r.error && r.error.code === grpc.status.INVALID_ARGUMENT, 'empty title is INVALID_ARGUMENT');
  check(r.error && r.error.metadata.get('grpc-status-details-bin').length === 1,
        'error carries google.rpc.Status details');

  r = await call(cases, 'GetCase', { id: 'missing' });
  check(r.error && r.error.code === grpc.status.NOT_FOUND, 'missing case is NOT_FOUND');

  await pushScenario(pkg, address, creds);

  health.close();
  cases.close();
  await checkCleanExit();
}

// First lines of ASan, LSan and UBSan reports (sanitizer builds).
const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', ': runtime error: ',
  'SUMMARY: UndefinedBehaviorSanitizer'];

// SIGTERM: the server must exit 0 with no sanitizer report on stderr.
function checkCleanExit() {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.kill('SIGKILL'), 30000);
    server.once('exit', (code, signal) => {
      clearTimeout(timer);
      check(code === 0, `server exits 0 on SIGTERM (got ${code} ${signal})`);
      const err = fs.readFileSync(path.join(tmp, 'stderr.log'), 'utf8');
      const found = SANITIZER_MARKERS.filter((m) => err.includes(m));
      check(found.length === 0, 'no sanitizer report in server stderr' +
        (found.length === 0 ? '' : ':\n' + err.slice(Math.max(0, err.indexOf(found[0]) - 200), 6000)));
      resolve();
    });
    if (server.exitCode !== null) server.emit('exit', server.exitCode, null);
    else server.kill('SIGTERM');
  });
}

// The scenario every interop client runs: connector, case, comment, push, find.
async function pushScenario(pkg, address, creds) {
  const jira = await startFakeJira();
  const connectors = new pkg.casebridge.v1.ConnectorService(address, creds);
  const cases = new pkg.casebridge.v1.CaseService(address, creds);
  // protobufjs brings its own google.protobuf.Struct, with camelCase names
  // even under keepCase.
  const struct = (obj) => ({
    fields: Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, { stringValue: v }])),
  });

  let r = await call(connectors, 'CreateConnector', {
    connector_type_id: '.jira', name: 'Interop Jira',
    config: struct({ apiUrl: jira.baseUrl, projectKey: 'CK' }),
    secrets: struct({ email: 'jira-bot@example.com', apiToken: 'jira-api-token' }),
  });
  check(!r.error, 'CreateConnector ok' + (r.error ? ': ' + r.error.message : ''));
  if (r.error) return;
  const connector = r.response.connector;
  check(!JSON.stringify(connector).includes('jira-api-token'), 'the secret is not echoed back');

  r = await call(cases, 'CreateCase', {
    title: 'Interop push from node', description: 'pushed to the fake Jira',
    owner: 'securitySolution',
  });
  check(!r.error, 'CreateCase ok');
  if (r.error) return;
  const created = r.response.case;
  r = await call(cases, 'AddComment', {
    case_id: created.id, attachment: { user: { comment: 'node comment for Jira' } },
  });
  check(!r.error, 'AddComment ok');

  r = await call(cases, 'PushCase', { case_id: created.id, connector_id: connector.id }, 60);
  check(!r.error, 'PushCase ok' + (r.error ? ': ' + r.error.message : ''));
  if (r.error) return;
  const external = r.response.case.external_service;
  check(external && external.connector_id === connector.id && external.external_id.length > 0,
        'PushCase sets the external service');
  check(r.response.job.state === 'PUSH_JOB_STATE_SUCCEEDED', 'the push job SUCCEEDED');

  r = await call(cases, 'FindCases', { owners: ['securitySolution'], search: 'node' });
  const hits = r.error ? [] : r.response.cases.filter((c) => c.id === created.id);
  check(hits.length === 1 && hits[0].external_service &&
        hits[0].external_service.external_id === external.external_id,
        'FindCases finds the pushed case with its external service');
  r = await call(cases, 'GetCase', { id: created.id });
  check(!r.error && r.response.case.push_statuses.some((s) => s.connector_id === connector.id),
        'GetCase shows the push status of the connector');

  const issues = (await jira.issues()).filter((i) => i.id === external.external_id);
  check(issues.length === 1 && issues[0].summary === 'Interop push from node',
        'the fake Jira holds exactly one issue with the case title');
  check(issues.length === 1 && issues[0].comments.some((b) => b.includes('node comment for Jira')),
        'the fake Jira received the comment');
  fake.stdin.end();
  connectors.close();
  cases.close();
}

main()
  .catch((e) => {
    console.error(e);
    failures += 1;
  })
  .finally(() => {
    cleanup();
    if (failures > 0) {
      console.log(`${failures} check(s) failed`);
      process.exit(1);
    }
    console.log('node interop: all checks passed');
    process.exit(0);
  });
