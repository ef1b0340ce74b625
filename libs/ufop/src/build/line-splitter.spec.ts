import { LineSplitter } from './line-splitter';

describe('LineSplitter', () => {
  it('hands on whole lines only, joining a line split across chunks, and the rest at the end', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('{"a":1}\n{"b"');
    expect(lines).toEqual(['{"a":1}']);
    splitter.push(':2}\n\n{"c":3}');
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '']);
    splitter.end();
    splitter.end();
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '', '{"c":3}']);
  });
});
