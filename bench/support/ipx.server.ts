// A child process of the bench: ipx (unjs/ipx, the npm package) serving one directory over HTTP,
// as `ipx serve --dir <dir>` does, without the CLI's terminal niceties. Usage: node ipx.server.js <dir> <port>.
import { createServer } from 'node:http';
import { createIPX, createIPXNodeServer, ipxFSStorage } from 'ipx';

const [dir, port] = process.argv.slice(2);
const ipx = createIPX({ storage: ipxFSStorage({ dir }) });
createServer(createIPXNodeServer(ipx)).listen(Number(port), '127.0.0.1', () => console.log(`ipx ready on ${port}`));
