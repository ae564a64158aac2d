/**
 * The one-line installer as the registry serves it (public, GET): `/install.sh` with the
 * registry's public URL and CA fingerprint filled in, the service files of `INSTALLER_FILES`,
 * and the `re6st-<arch>` binaries streamed from the `--artifacts` directory (404 when absent).
 */
import { INSTALLER_FILES, installerFile, installScript } from "../install/installer.ts";
import type { Page } from "./http.ts";
import { RpcError } from "./rpc_error.ts";

/** Binary artifacts the installer downloads, by URL name (also their file names). */
export const ARTIFACT_NAMES = ["re6st-x86_64", "re6st-aarch64"] as const;

/** How the installer pages are configured. */
export interface InstallPagesOptions {
  /** URL nodes reach the registry at; undefined ⇒ `http://<Host header>`. */
  publicUrl?: string;
  /** `ALG:HEX` fingerprint of the CA certificate, pinned by `re6st conf`. */
  caFingerprint: string;
  /** Directory holding the binaries; undefined ⇒ every binary is 404. */
  artifacts?: string;
}

/** `http://<host>` from a request's Host header (a host name or address and optional port). */
export function urlFromHost(host: string | null): string {
  if (!host || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) {
    throw new RpcError(400, `no usable Host header (${JSON.stringify(host?.slice(0, 60))})`);
  }
  return `http://${host}`;
}

const TEXT = { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" };

/** The installer pages, by path. */
export function installPages(o: InstallPagesOptions): Record<string, Page> {
  const pages: Record<string, Page> = {
    "/install.sh": {
      async handle(req) {
        const url = o.publicUrl ?? urlFromHost(req.headers.get("host"));
        return new Response(await installScript(url, o.caFingerprint), { headers: TEXT });
      },
    },
  };
  for (const name of Object.keys(INSTALLER_FILES)) {
    pages[`/${name}`] = {
      async handle() {
        return new Response(await installerFile(name), { headers: TEXT });
      },
    };
  }
  for (const name of ARTIFACT_NAMES) {
    pages[`/${name}`] = { handle: () => artifact(o.artifacts, name) };
  }
  return pages;
}

async function artifact(dir: string | undefined, name: string): Promise<Response> {
  if (dir === undefined) throw new RpcError(404, `${name}: no --artifacts directory`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(`${dir}/${name}`);
  } catch (e) {
    throw new RpcError(404, `${name}: ${(e as Error).message}`);
  }
  const info = await file.stat();
  if (!info.isFile) {
    file.close();
    throw new RpcError(404, `${name} is not a regular file`);
  }
  return new Response(file.readable, {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(info.size),
      "cache-control": "no-cache",
    },
  });
}
