import { describe, expect, it } from 'vitest';

import { codeBlock, codeSpan, escapeMrkdwn, plainText, truncate } from './escape';

describe('escapeMrkdwn', () => {
  it('turns control characters into entities so nothing can mention, broadcast or link', () => {
    expect(escapeMrkdwn('<!channel> <@U123> <https://evil.example|click> & co')).toBe(
      '&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; co',
    );
    expect(escapeMrkdwn('&lt;!here&gt;')).toBe('&amp;lt;!here&amp;gt;');
  });

  it('breaks bare broadcast words with a word joiner', () => {
    expect(escapeMrkdwn('ping @channel and @HERE and @everyone, not @channels')).toBe(
      'ping @\u2060channel and @\u2060HERE and @\u2060everyone, not @channels',
    );
  });
});

describe('codeSpan', () => {
  it('puts a value in a code span where formatting and auto-links do not apply', () => {
    expect(codeSpan('*bold* _it_ ~s~ https://x.example')).toBe('`*bold* _it_ ~s~ https://x.example`');
  });

  it('cannot be closed early by a backtick, nor spread over lines', () => {
    expect(codeSpan('a`<!channel>`b\nc')).toBe('`aˋ&lt;!channel&gt;ˋb c`');
    expect(codeSpan('```x```')).toBe('`ˋˋˋxˋˋˋ`');
  });

  it('shows an empty value as a dash and cuts long ones to the limit', () => {
    expect(codeSpan('   ')).toBe('—');
    const long = codeSpan('x'.repeat(500), 50);
    expect(long).toHaveLength(50);
    expect(long.endsWith('…`')).toBe(true);
  });
});

describe('codeBlock', () => {
  it('escapes and cannot be closed by the content', () => {
    const block = codeBlock('a ``` <!channel>\nb');
    expect(block.startsWith('```')).toBe(true);
    expect(block.endsWith('```')).toBe(true);
    expect(block.slice(3, -3)).not.toContain('```');
    expect(block).toContain('&lt;!channel&gt;');
  });

  it('cannot be closed by a run of four or more backticks, nor by one at the end of the value', () => {
    for (const value of ['a ```` b', '``````````', 'x `` `` ``` y', 'ends with a backtick`', '`']) {
      const block = codeBlock(value);
      expect(block.slice(3, -3), value).not.toContain('```');
      // The closing fence is not lengthened by the value's own trailing backtick.
      expect(block.slice(-4, -3), value).not.toBe('`');
    }
  });
});

describe('truncate', () => {
  it('leaves short text alone and ends cut text with an ellipsis within the limit', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abcdef', 1)).toBe('…');
  });

  it('never splits a surrogate pair or an entity', () => {
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('ab &amp; cd', 6)).toBe('ab …');
    expect(truncate('ab &lt;x', 7)).toBe('ab …');
  });
});

describe('plainText', () => {
  it('drops control characters and collapses whitespace', () => {
    expect(plainText('a\u0000b\u0007\n\t c', 100)).toBe('ab c');
  });
});
