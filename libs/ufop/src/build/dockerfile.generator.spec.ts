import { execFileSync } from 'node:child_process';
import { generateDockerfile, shellQuote } from './dockerfile.generator';
import { UfopManifest } from './ufop-manifest';

const manifest = (overrides: Partial<UfopManifest> = {}): UfopManifest => ({
  image: 'fopflow/debian:bookworm',
  buildScript: ['apt-get update', 'apt-get install -y imagemagick'],
  buildScriptLines: [3, 4],
  run: 'node server.js',
  ...overrides,
});

describe('generateDockerfile', () => {
  it('writes the instructions in order: ADD unpacks the upload, one RUN builds and cleans up', () => {
    const text = generateDockerfile(manifest());
    const instructions = text.split('\n').filter((line) => /^[A-Z]+ /.test(line)).map((line) => line.split(' ')[0]);
    expect(instructions).toEqual(['FROM', 'USER', 'ENV', 'ADD', 'RUN', 'USER', 'WORKDIR', 'EXPOSE', 'CMD']);
    expect(text).toContain('FROM fopflow/debian:bookworm\n');
    expect(text).toContain('ENV RESOURCE=/opt/ufop\n');
    expect(text).toContain('ADD ufop-source.tar /opt/ufop/\n');
    expect(text).not.toMatch(/COPY|tar -x/);
    expect(text).toContain("sh -euc 'apt-get install -y imagemagick'");
    expect(text).toContain('rm -rf /var/lib/apt/lists/* /tmp/*');
    expect(text).toContain('useradd --system --uid 10100');
    expect(text).toContain('USER 10100:10100\nWORKDIR /opt/ufop\nEXPOSE 9100\nCMD ["/bin/sh","-c","node server.js"]\n');
  });

  it('keeps hostile script lines and run inside their own instruction', () => {
    const text = generateDockerfile(
      manifest({ buildScript: ["echo it's # not a comment && rm -rf / ; \\"], run: 'a"b\nUSER root' }),
    );
    // Every physical line is either an instruction, a continuation of the RUN, or the header.
    for (const line of text.split('\n').filter(Boolean)) expect(line).toMatch(/^(#|FROM |USER |ENV |ADD |RUN | && |WORKDIR |EXPOSE |CMD )/);
    expect(text).toContain('CMD ["/bin/sh","-c","a\\"b\\nUSER root"]');
    expect(text.match(/^USER /gm)).toHaveLength(2);
  });

  it('shellQuote makes one word the shell gives back unchanged', () => {
    const hostile = `it's "$HOME" \`id\` $(id) ; # \\ `;
    expect(execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(hostile)}`]).toString()).toBe(hostile);
  });
});
