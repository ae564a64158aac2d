/** An RPC failure carrying the HTTP status the registry answers with (spec §3.1). */
export class RpcError extends Error {
  constructor(readonly status: 400 | 401 | 403 | 404 | 409 | 500, message: string) {
    super(message);
    this.name = "RpcError";
  }
}
