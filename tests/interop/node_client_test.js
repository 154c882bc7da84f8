#!/usr/bin/env node
// Interop: a Node client (@grpc/grpc-js + @grpc/proto-loader, loading the
// .proto files at run time) against the real server on an ephemeral port:
// health, CreateCase, AddComment, FindCases, GetCase, and error codes.
//
// Usage: node node_client_test.js SERVER_BINARY PROTO_DIR
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [serverBin, protoDir] = process.argv.slice(2);
if (!serverBin || !protoDir) {
  console.error('usage: node_client_test.js SERVER_BINARY PROTO_DIR');
  process.exit(2);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'casebridge-nodeinterop-'));
let server = null;
let failures = 0;

function check(cond, what) {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failures += 1;
}

function cleanup() {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
}

function startServer() {
  const out = fs.openSync(path.join(tmp, 'stdout.log'), 'w');
  const err = fs.openSync(path.join(tmp, 'stderr.log'), 'w');
  server = spawn(serverBin, ['--listen', '127.0.0.1:0', '--data-dir', path.join(tmp, 'data')], {
    stdio: ['ignore', out, err],
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

function call(client, method, request) {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + 10000);
    client[method](request, { deadline }, (error, response) => resolve({ error, response }));
  });
}

async function main() {
  const definition = protoLoader.loadSync(
    ['casebridge/v1/case_service.proto', 'grpc/health/v1/health.proto'],
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
