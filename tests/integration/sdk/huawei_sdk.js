// huawei_sdk.js: the official Huawei Cloud Node SDK core, driven by
// tests/integration/test_huawei_sdk.py to cross-check dbbackupfs.
//
// Reads one JSON request from stdin and writes one JSON answer to stdout, as
// its last line (the SDK's logger may write lines of its own before it):
//   {"mode": "send" | "sign", "endpoint": "http://127.0.0.1:PORT/taurusdb",
//    "ak", "sk", "project_id", "method": "GET", "path": "/v3/{project_id}/backups",
//    "query": {"instance_id": "..."}, "body": {...} | null,
//    "content_type": "application/json;charset=UTF-8"}
//
// "send": the SDK's own client (HcClient) signs and sends the request, as the
//   generated service clients do; answers {"status", "body"} or, on an error
//   answer, {"status", "error_code", "error_msg", "request_id"} as the SDK
//   parsed them.
// "sign": the same request is built and signed but not sent; answers what was
//   signed (method, path, query, headers, body text) so that another signer
//   can be given exactly the same inputs, and the SDK's Authorization value.
'use strict';

const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder');
const { BasicCredentials } = require('@huaweicloud/huaweicloud-sdk-core');
const url = require('url');

function readStdin() {
    return new Promise((resolve, reject) => {
        let text = '';
        process.stdin.setEncoding('utf8');
        process.stdin.on('data', (chunk) => { text += chunk; });
        process.stdin.on('end', () => resolve(text));
        process.stdin.on('error', reject);
    });
}

function client(spec) {
    const credential = new BasicCredentials()
        .withAk(spec.ak)
        .withSk(spec.sk)
        .withProjectId(spec.project_id);
    return new ClientBuilder((hcClient) => hcClient)
        .withCredential(credential)
        .withEndpoint(spec.endpoint)
        .build();
}

// The options a generated service client passes to HcClient.
function options(spec) {
    const result = {
        method: spec.method,
        url: spec.path,
        pathParams: {},
        queryParams: spec.query || {},
        headers: {},
        contentType: spec.content_type,
    };
    if (spec.body !== null && spec.body !== undefined) {
        result.data = spec.body;
    }
    return result;
}

async function send(spec) {
    try {
        const answer = await client(spec).sendRequest(options(spec));
        const status = answer.httpStatusCode;
        delete answer.httpStatusCode;
        return { status, body: answer };
    } catch (error) {
        return {
            status: error.httpStatusCode,
            error_code: error.errorCode,
            error_msg: error.errorMsg,
            request_id: error.requestId,
        };
    }
}

async function sign(spec) {
    const request = await client(spec).buildRequest(options(spec));
    const headers = Object.assign({}, request.headers);
    const authorization = headers.Authorization;
    delete headers.Authorization;
    return {
        method: request.method,
        path: url.parse(request.endpoint).pathname,
        query: request.queryParams || {},
        headers,
        // The signer hashes JSON.stringify(data); axios sends the same text.
        body: request.data === undefined ? '' : JSON.stringify(request.data),
        authorization,
    };
}

async function main() {
    const spec = JSON.parse(await readStdin());
    const answer = spec.mode === 'sign' ? await sign(spec) : await send(spec);
    process.stdout.write(JSON.stringify(answer) + '\n');
}

main().catch((error) => {
    process.stderr.write(`huawei_sdk.js: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
});
