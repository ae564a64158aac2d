/** Where a node's control socket lives, shared by the daemon and `re6st status`. */

/** File name of the control socket in the run directory. */
export const CONTROL_SOCKET = "re6st.sock";

/** The control socket of the node using run directory `runDir`. */
export function controlSocketPath(runDir: string): string {
  return `${runDir.replace(/\/+$/, "")}/${CONTROL_SOCKET}`;
}
