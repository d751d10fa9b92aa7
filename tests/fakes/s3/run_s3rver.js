#!/usr/bin/env node
// Starts s3rver (a real S3 server, pinned in package.json) on loopback for the
// tests: tests/fakes/s3_gateway.py runs this and sits in front of it.
//
//   node run_s3rver.js --directory DIR --port-file FILE
//
// Binds 127.0.0.1 on a port the OS chooses and, only once listening, writes
// the port to FILE atomically (temp file + rename). SIGTERM stops it.
'use strict';

const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');

function option(name) {
  const index = process.argv.indexOf(name);
  if (index < 0 || index + 1 >= process.argv.length) {
    process.stderr.write(`run_s3rver: ${name} is required\n`);
    process.exit(2);
  }
  return process.argv[index + 1];
}

const directory = option('--directory');
const portFile = option('--port-file');

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  // Path-style addressing only: the host is an IP address.
  vhostBuckets: false,
});

server.run((err, address) => {
  if (err) {
    process.stderr.write(`run_s3rver: ${err.message}\n`);
    process.exit(1);
  }
  const temporary = `${portFile}.tmp.${process.pid}`;
  fs.writeFileSync(temporary, `${address.port}\n`);
  fs.renameSync(temporary, portFile);
  process.stderr.write(`s3rver: listening on http://127.0.0.1:${address.port} (${path.resolve(directory)})\n`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
