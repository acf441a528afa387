// SASLprep (RFC 4013), checked against the examples of RFC 4013 §3.
import { saslprep, SaslPrepError } from './saslprep';

describe('saslprep', () => {
  it.each([
    ['I\u00adX', 'IX', 'maps SOFT HYPHEN to nothing'],
    ['user', 'user', 'leaves plain ASCII alone'],
    ['USER', 'USER', 'preserves case'],
    ['\u00aa', 'a', 'applies NFKC to FEMININE ORDINAL INDICATOR'],
    ['\u2168', 'IX', 'applies NFKC to ROMAN NUMERAL NINE'],
    ['a\u00a0b\u3000c', 'a b c', 'maps non-ASCII spaces to SPACE'],
    ['pass\u200bword', 'pass word', 'maps ZERO WIDTH SPACE like the other C.1.2 spaces'],
    ['\u0627\u0628', '\u0627\u0628', 'accepts right-to-left text that starts and ends right-to-left'],
  ])('%j -> %j (%s)', (input, output) => {
    expect(saslprep(input)).toBe(output);
  });

  it.each([
    ['\u0007', 'an ASCII control character (RFC 4013 example 6)'],
    ['\u0627\u0031', 'right-to-left text ending in a digit (RFC 4013 example 7)'],
    ['\u0627a\u0628', 'mixed right-to-left and left-to-right letters'],
    ['a\ue000', 'a private use character'],
    ['a\ufffe', 'a non-character'],
    ['a\u200e', 'a LEFT-TO-RIGHT MARK'],
    ['a\u{e0041}', 'a tagging character'],
    ['a\ud800', 'a lone surrogate'],
  ])('rejects %j (%s)', (input) => {
    expect(() => saslprep(input)).toThrow(SaslPrepError);
  });
});
