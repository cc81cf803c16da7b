/**
 * Parse errors in Loki's format: `parse error at line L, col C: <msg>`, or
 * `parse error : <msg>` when there is no position (line and column both 0).
 */
import { LokiError } from '../../core/index.js';

export function parseError(message: string, line = 0, col = 0): LokiError {
  const text = line === 0 && col === 0
    ? `parse error : ${message}`
    : `parse error at line ${line}, col ${col}: ${message}`;
  return new LokiError('parse_error', text);
}

/**
 * Line and column (1-based, counting characters like Go's scanner) of a UTF-16 offset. The end
 * of an empty input has no position (0, 0).
 */
export function positionOf(src: string, offset: number): { line: number; col: number } {
  if (src.length === 0) return { line: 0, col: 0 };
  let line = 1;
  let lineStart = 0;
  for (let i = src.indexOf('\n'); i >= 0 && i < offset; i = src.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let col = 1;
  for (let i = lineStart; i < offset; i++) {
    const c = src.charCodeAt(i);
    // The second half of a surrogate pair is part of the same character.
    if (!(c >= 0xdc00 && c <= 0xdfff && i > lineStart && src.charCodeAt(i - 1) >= 0xd800 && src.charCodeAt(i - 1) <= 0xdbff)) col++;
  }
  return { line, col };
}
