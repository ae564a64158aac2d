import assert from "node:assert/strict";
import { children, readDer, TAG } from "../../lib/pki/der.ts";
import { PkiError } from "../../lib/pki/errors.ts";
import {
  encodeName,
  formatName,
  nameFields,
  nameValue,
  parseName,
  parseSubject,
  rewriteName,
} from "../../lib/pki/name.ts";

Deno.test("subjects parse, encode with OpenSSL's string types and format back", () => {
  const fields = parseSubject("/C=FR/ST=Lille/O=a\\/b/CN=re6st CA/emailAddress=ca@example.com");
  assert.deepEqual(fields, [["C", "FR"], ["ST", "Lille"], ["O", "a/b"], ["CN", "re6st CA"], [
    "emailAddress",
    "ca@example.com",
  ]]);
  const der = encodeName(fields);
  const name = parseName(readDer(der));
  assert.equal(formatName(name), "/C=FR/ST=Lille/O=a\\/b/CN=re6st CA/emailAddress=ca@example.com");
  assert.equal(nameValue(name, "emailAddress"), "ca@example.com");
  assert.equal(nameValue(name, "2.5.4.3"), "re6st CA");
  assert.equal(nameValue(name, "L"), undefined);
  // C is a PrintableString (0x13), CN a UTF8String (0x0c), emailAddress an IA5String (0x16).
  const tags = name.rdns.map((rdn) => children(children(readDer(rdn))[0])[1].tag);
  assert.deepEqual(tags, [TAG.PRINTABLE, TAG.UTF8, TAG.UTF8, TAG.UTF8, TAG.IA5]);
});

Deno.test("rewriteName replaces every CN and serialNumber and keeps the rest byte for byte", () => {
  const name = parseName(
    readDer(encodeName([["CN", "a"], ["O", "x"], ["CN", "b"], ["serialNumber", "9"]])),
  );
  const out = parseName(readDer(rewriteName(name, { serialNumber: "0", CN: "5/16" })));
  assert.deepEqual(out.attributes.map((a) => `${a.type}=${a.value}`), [
    "O=x",
    "serialNumber=0",
    "CN=5/16",
  ]);
  assert.deepEqual(out.rdns[0], name.rdns[1]);
  assert.deepEqual(nameFields(out, ["CN", "serialNumber"]), [["O", "x"]]);
  assert.deepEqual(nameFields(out).length, 3);
});

Deno.test("bad subjects and names are refused", () => {
  for (
    const bad of ["CN=x", "/CN", "/=x", "/CN=", "/Foo=x", "/toString=x", "/C=FRA", "/C=F\u00e9"]
  ) {
    assert.throws(() => encodeName(parseSubject(bad)), PkiError, bad);
  }
  assert.throws(() => encodeName([["emailAddress", "é@x"]]), PkiError);
  assert.throws(() => encodeName([["serialNumber", "a_b"]]), PkiError);
  assert.throws(() => parseName(readDer(new Uint8Array([0x30, 2, 0x31, 0]))), /empty RDN/);
  assert.throws(() => parseName(readDer(new Uint8Array([0x31, 0]))), /expected Name/);
});
