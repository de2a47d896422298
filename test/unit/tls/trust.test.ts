import { expect, test } from "bun:test";
import { trustInstructions } from "../../../src/tls/trust";

test("the trust steps name every host:port for Docker and containers, and the system stores", () => {
  const text = trustInstructions({ caPath: "/srv/berth/tls/ca.crt", hosts: ["reg.lan", "127.0.0.1", "::1"], port: 8443, label: "0123abcd" });
  const hosts = `'reg.lan:8443' '127.0.0.1:8443' '[::1]:8443'`;
  expect(text).toContain(`for h in ${hosts}; do sudo mkdir -p /etc/docker/certs.d/$h && sudo cp '/srv/berth/tls/ca.crt' /etc/docker/certs.d/$h/ca.crt; done`);
  expect(text).toContain(`for h in ${hosts}; do sudo mkdir -p /etc/containers/certs.d/$h && sudo cp '/srv/berth/tls/ca.crt' /etc/containers/certs.d/$h/ca.crt; done`);
  expect(text).toContain("~/.config/containers/certs.d");
  expect(text).toContain(`sudo cp '/srv/berth/tls/ca.crt' /usr/local/share/ca-certificates/berth-0123abcd.crt && sudo update-ca-certificates`);
  expect(text).toContain(`sudo cp '/srv/berth/tls/ca.crt' /etc/pki/ca-trust/source/anchors/berth-0123abcd.crt && sudo update-ca-trust`);
});

test("a data directory with a quote in its path stays one shell word", () => {
  const text = trustInstructions({ caPath: "/srv/it's/ca.crt", hosts: ["localhost"], port: 443, label: "x" });
  expect(text).toContain(`sudo cp '/srv/it'\\''s/ca.crt' /etc/docker/certs.d/$h/ca.crt`);
  expect(text).toContain(`for h in 'localhost'; do`);
});
