import { contentDisposition, filenameProblem, newFileId, normalizeContentType, parseRange, servedInline, signPut, verifyPut } from './rules';

describe('upload rules', () => {
  it('accepts ordinary file names and refuses paths, control characters and overlong names', () => {
    expect(filenameProblem('my juliet.jpg')).toBeUndefined();
    expect(filenameProblem('Ünïcödé 照片.png')).toBeUndefined();
    expect(filenameProblem('')).toMatch(/empty/);
    expect(filenameProblem('../etc/passwd')).toMatch(/path/);
    expect(filenameProblem('a\\b')).toMatch(/path/);
    expect(filenameProblem('a\nb')).toMatch(/control/);
    expect(filenameProblem('..')).toMatch(/not a name/);
    expect(filenameProblem('x'.repeat(256))).toMatch(/longer/);
    expect(filenameProblem('evil\u202egnp.exe')).toMatch(/bidirectional/);
    expect(filenameProblem(' a')).toMatch(/blanks/);
  });

  it('normalizes media types and refuses what is not one', () => {
    expect(normalizeContentType(undefined)).toBe('application/octet-stream');
    expect(normalizeContentType('Image/JPEG')).toBe('image/jpeg');
    expect(normalizeContentType('text/plain; charset=utf-8')).toBe('text/plain');
    expect(normalizeContentType('text')).toBeUndefined();
    expect(normalizeContentType('text/plain\r\nX-Evil: 1')).toBeUndefined();
    expect(normalizeContentType('a/b/c')).toBeUndefined();
  });

  it('serves only harmless types inline', () => {
    expect(servedInline('image/jpeg')).toBe(true);
    expect(servedInline('video/mp4')).toBe(true);
    expect(servedInline('text/html')).toBe(false);
    expect(servedInline('image/svg+xml')).toBe(false);
    expect(servedInline('application/pdf')).toBe(false);
  });

  it('signs a PUT claim so that any change of it fails', () => {
    const c = { id: newFileId(), filename: 'a.txt', size: 5, contentType: 'text/plain', expires: 1_900_000_000 };
    const sig = signPut('s'.repeat(32), c);
    expect(verifyPut('s'.repeat(32), c, sig)).toBe(true);
    expect(verifyPut('t'.repeat(32), c, sig)).toBe(false);
    expect(verifyPut('s'.repeat(32), { ...c, size: 6 }, sig)).toBe(false);
    expect(verifyPut('s'.repeat(32), { ...c, expires: c.expires + 1 }, sig)).toBe(false);
    expect(verifyPut('s'.repeat(32), c, 'nothex')).toBe(false);
    expect(newFileId()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('parses single byte ranges and leaves the rest to a full answer', () => {
    expect(parseRange(undefined, 10)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-3', 10)).toEqual({ kind: 'partial', start: 0, end: 3 });
    expect(parseRange('bytes=5-', 10)).toEqual({ kind: 'partial', start: 5, end: 9 });
    expect(parseRange('bytes=-4', 10)).toEqual({ kind: 'partial', start: 6, end: 9 });
    expect(parseRange('bytes=8-100', 10)).toEqual({ kind: 'partial', start: 8, end: 9 });
    expect(parseRange('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-1,3-4', 10)).toEqual({ kind: 'full' });
    expect(parseRange('items=0-1', 10)).toEqual({ kind: 'full' });
  });

  it('quotes file names in Content-Disposition safely', () => {
    expect(contentDisposition('attachment', 'a "b".html')).toBe(`attachment; filename="a _b_.html"; filename*=UTF-8''a%20%22b%22.html`);
    expect(contentDisposition('inline', 'é.png')).toContain("filename*=UTF-8''%C3%A9.png");
  });
});
