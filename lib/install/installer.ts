/**
 * What a registry serves for the one-line installer (`curl -fsSL <registry>/install.sh | sh`):
 * the script itself with the registry URL filled in, and the service files it downloads next
 * to the `re6st-<arch>` binaries (which come from `deno task compile`, not from here).
 */
import { readEmbeddedText } from "../embedded.ts";

/** Service files the installer fetches from `<registry>/<name>`, by name → `embedded/` path. */
export const INSTALLER_FILES: Readonly<Record<string, string>> = {
  "re6st-node.service": "systemd/re6st-node.service",
  "re6st.logrotate": "logrotate/re6st",
  "re6st.init": "openwrt/re6st.init",
  "re6st.config": "openwrt/re6st.config",
  "re6st.keep": "openwrt/re6st.keep",
};

const REGISTRY_PLACEHOLDER = "@RE6ST_REGISTRY@";
const FINGERPRINT_PLACEHOLDER = "@RE6ST_FINGERPRINT@";

/**
 * `install.sh` with `registryUrl` as its default registry and, if given, the CA fingerprint
 * (`ALG:HEX`, e.g. `sha256:…` of the CA certificate's DER) that `re6st conf` must find. The URL
 * must be http(s) and is pasted into single quotes, so it may not contain quotes, spaces or
 * control characters.
 */
export async function installScript(registryUrl: string, caFingerprint = ""): Promise<string> {
  let url: URL;
  try {
    url = new URL(registryUrl);
  } catch {
    throw new Error(`invalid registry URL '${registryUrl}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`registry URL must be http or https: '${registryUrl}'`);
  }
  if (/['"\\\s`]|\p{Cc}/u.test(registryUrl)) {
    throw new Error(`registry URL contains characters unsafe in a shell script: '${registryUrl}'`);
  }
  if (caFingerprint !== "" && !/^[a-z0-9_-]+:[0-9a-fA-F]+$/.test(caFingerprint)) {
    throw new Error(`invalid CA fingerprint '${caFingerprint}' (expected ALG:HEX)`);
  }
  const text = await readEmbeddedText("install.sh");
  return text.replace(REGISTRY_PLACEHOLDER, registryUrl.replace(/\/+$/, ""))
    .replace(FINGERPRINT_PLACEHOLDER, caFingerprint);
}

/** The content of an installer file by its URL name, or undefined for an unknown name. */
export async function installerFile(name: string): Promise<string | undefined> {
  const path = Object.hasOwn(INSTALLER_FILES, name) ? INSTALLER_FILES[name] : undefined;
  return path === undefined ? undefined : await readEmbeddedText(path);
}
