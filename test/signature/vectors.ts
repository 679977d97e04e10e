/**
 * Known-answer vectors, hard-coded: the providers' documented vectors, GitHub's and Standard Webhooks' published
 * examples, and a few computed once with `openssl dgst -sha256 -hmac` (an implementation independent of ocrq's).
 */
export const OCRQUEEN = {
  secret: 'whsec_test',
  body: Buffer.from(
    '{"data":{"error":{"code":"PDF_PASSWORD_PROTECTED","message":"locked"}},"event_id":"evt_1","event_type":"extraction.failed","job_id":"job_1","timestamp":"2026-05-14T12:00:08Z"}',
  ),
  header: 'ocrqueen-signature',
  hex: 'cb32d4bd341ea27066120a9333fe1556c4e4ea26e238751f8dcbda532dc44614',
};

export const DOCEXTRACT = {
  secret: 'dx_secret',
  body: Buffer.from('{"event":"job.completed","data":{"id":"job_1","status":"completed"}}'),
  header: 'x-docextract-signature',
  hex: 'f91256a0d035aee2c23211558f0ee2a388ed27a53e127a308608a70c7f18789c',
  /** The same body signed with OCRQueen's secret `whsec_test` (openssl). */
  hexWithOcrqueenSecret: 'ea9fc39c57b45b4be315c6683907e3ec5f622a13c9b86bc60aa043438ddd5f00',
};

export const LEAPOCR = {
  secret: 'my-secret-key',
  timestamp: '1704067200',
  body: Buffer.from(
    '{"event_type":"webhook.test","event_id":"evt_123","timestamp":"2024-01-01T00:00:00Z","message":"This is a test webhook event"}',
  ),
  /** hex HMAC of `<timestamp>.<body>` (SDK test). */
  timestampedHex: '51033b9251a1db2003caf73152dc990d20c3efd8c97d176603de1dc034aa1bc1',
  /** hex HMAC of the body alone (vendor page scheme). */
  bodyHex: '701e14803a378d78c9e7f72debd49019fbb1eee203c7a73510598422743ab0ac',
};

/** docs.github.com "Validating webhook deliveries". */
export const GITHUB = {
  secret: "It's a Secret to Everybody",
  body: Buffer.from('Hello, World!'),
  hex: '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};

/** standard-webhooks/standard-webhooks libraries/javascript/src/webhook.test.ts, "sign function works". */
export const STANDARD_WEBHOOKS = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: Buffer.from('{"test": 2432232314}'),
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  /** A well-formed v1 digest that does not match (from the same test file's multi-signature case). */
  otherSignature: 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
};

/** openssl: t=1700000000, body below. */
export const STRIPE = {
  secret: 'whsec_stripe_test',
  t: 1700000000,
  body: Buffer.from('{"id":"evt_1","object":"event"}'),
  v1: 'a898e3d79c323403a1fae570a6a85c94a49f50d22b8ebc757a021998864a58f3',
  /** The same content signed with `whsec_other`, as during a secret rotation. */
  v1OtherSecret: 'ce486949e2e39bec553617072a9bf7c086e490c7071f3324a664d8082cf43f97',
};

/** openssl: base64 HMAC of `{"ok":true}` keyed with `b64_secret`. */
export const BASE64 = {
  secret: 'b64_secret',
  body: Buffer.from('{"ok":true}'),
  signature: '0HNdr0Lo9yvrO1zx/LnzdQM+oQwVvOLGmCCCSY+9FMg=',
};

/** A UTF-8 BOM, CRLF and bytes that are not UTF-8: signed as raw bytes (openssl). */
export const RAW_BYTES = {
  body: Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}\r\n'), 0xff, 0xfe]),
  hexSecret: 'raw_secret',
  hex: '601404bb6c1a583722fa86350533f20a5b669bdc181a0aa888e5c7c46c735fb8',
  /** Standard Webhooks over the same bytes: id msg_raw, timestamp 1614265330, the Standard Webhooks secret above. */
  standardId: 'msg_raw',
  standardSignature: 'v1,POJQKF/4cSdeLpx2ZvjrIGQKdOtv2gsimt+ckrZ8dh4=',
};
