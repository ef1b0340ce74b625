/** Where the uploaded tarball is unpacked, exported to build steps and the program as $RESOURCE. */
export const UFOP_RESOURCE_DIR = '/opt/ufop';
/** The port every UFOP program listens on (the container-based Qiniu contract). */
export const UFOP_PORT = 9100;
/** uid and gid the program runs as: unprivileged, and above the ranges Debian hands out. */
export const UFOP_USER_ID = 10100;
