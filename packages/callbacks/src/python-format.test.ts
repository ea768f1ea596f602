import { IndexError, KeyError, ValueError } from '@strata/core';
import { describe, expect, test } from 'vitest';

import { formatPython, formatValue, type PyValue, pyFloatRepr } from './python-format.js';

// Every expected string below is what CPython 3.11 prints for `format(value, spec)` (ints written as
// bigint, floats as number), so these tests pin Python's behaviour, not ours.
const CASES: [PyValue, string, string][] = [
  [3n, '02d', '03'],
  [12n, '02d', '12'],
  [123n, '02d', '123'],
  [7n, 'd', '7'],
  [-7n, '03d', '-07'],
  [5n, '+d', '+5'],
  [5n, ' d', ' 5'],
  [1234567n, ',', '1,234,567'],
  [1234567n, '_', '1_234_567'],
  [255n, 'x', 'ff'],
  [255n, '#X', '0XFF'],
  [255n, '#b', '0b11111111'],
  [8n, 'o', '10'],
  [65535n, '_x', 'ffff'],
  [42n, '>6', '    42'],
  [42n, '<6', '42    '],
  [42n, '^6', '  42  '],
  [42n, '*^7', '**42***'],
  [-42n, '=+8', '-     42'],
  [3n, '.2f', '3.00'],
  [0.123456, '.2f', '0.12'],
  // Exact ties round half to even; toFixed would give 0.13, 3 and 1.01 here.
  [0.125, '.2f', '0.12'],
  [0.375, '.2f', '0.38'],
  [2.5, '.0f', '2'],
  [3.5, '.0f', '4'],
  [-0, '.1f', '-0.0'],
  [-0.0001, '.2f', '-0.00'],
  [1.005, '.2f', '1.00'],
  [2.675, '.2f', '2.67'],
  [1e21, '.1f', '1000000000000000000000.0'],
  [123.456, '010.2f', '0000123.46'],
  [-123.456, '010.2f', '-000123.46'],
  [123.456, '+.1f', '+123.5'],
  [1234567.891, ',.2f', '1,234,567.89'],
  [0.5, '%', '50.000000%'],
  [0.12345, '.1%', '12.3%'],
  [12345.678, 'e', '1.234568e+04'],
  [12345.678, '.2e', '1.23e+04'],
  [0.000123, '.3E', '1.230E-04'],
  [9.9999, '.2e', '1.00e+01'],
  [0, 'e', '0.000000e+00'],
  [1e-300, '.2e', '1.00e-300'],
  [5e-324, '.3e', '4.941e-324'],
  [1.7976931348623157e308, '.4e', '1.7977e+308'],
  [0.0001234, 'g', '0.0001234'],
  [0.00001234, 'g', '1.234e-05'],
  [123456, 'g', '123456'],
  [1234567, 'g', '1.23457e+06'],
  [100, '.3g', '100'],
  [0.5, '.0g', '0.5'],
  [1, '#g', '1.00000'],
  [123.456, '.2g', '1.2e+02'],
  [0, 'g', '0'],
  [-0, 'g', '-0'],
  [1e16, 'g', '1e+16'],
  [9.9999995, '.7g', '9.999999'],
  [1, '', '1.0'],
  [0.1, '', '0.1'],
  [1e-5, '', '1e-05'],
  [1e16, '', '1e+16'],
  [1.5e16, '', '1.5e+16'],
  [123456789012345.6, '', '123456789012345.6'],
  [0.30000000000000004, '', '0.30000000000000004'],
  [12, '.3', '12.0'],
  [100, '.3', '1e+02'],
  [5, '.1', '5e+00'],
  [0, '.3', '0.0'],
  [0.0001, '.2', '0.0001'],
  [0.00001, '.2', '1e-05'],
  [2.5, '10', '       2.5'],
  [2.5, '<10', '2.5       '],
  [2.5, '010', '00000002.5'],
  [Number.POSITIVE_INFINITY, '.2f', 'inf'],
  [Number.NEGATIVE_INFINITY, 'e', '-inf'],
  [Number.NaN, 'F', 'NAN'],
  [Number.POSITIVE_INFINITY, '08', '00000inf'],
  [-0.001, 'z.1f', '0.0'],
  [0.2345678985118866, '', '0.2345678985118866'],
  [1e-4, '', '0.0001'],
  ['abc', '5', 'abc  '],
  ['abc', '>5', '  abc'],
  ['abcdef', '.3', 'abc'],
  ['abc', '^7', '  abc  '],
  ['abc', '*<6', 'abc***'],
  [true, '', 'True'],
  [true, 'd', '1'],
];

describe('formatValue matches Python format()', () => {
  test.each(CASES)('format(%s, %j)', (value, spec, expected) => {
    expect(formatValue(value, spec)).toBe(expected);
  });

  test('repr of floats follows Python, not Number#toString', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(1e-7)).toBe('1e-07');
    expect(pyFloatRepr(-2.5e20)).toBe('-2.5e+20');
    expect(pyFloatRepr(123.0)).toBe('123.0');
  });
});

describe('formatPython matches str.format(**kwargs)', () => {
  const kwargs = { epoch: 3n, val_loss: 0.123456, loss: 0.2345678985118866, w: 10n, p: 3n, name: 'x' };

  test.each([
    ['{epoch:02d}-{val_loss:.2f}.keras', '03-0.12.keras'],
    ['weights.{epoch:02d}-{loss:.4f}.weights.h5', 'weights.03-0.2346.weights.h5'],
    ['{{epoch}}-{epoch}', '{epoch}-3'],
    ['{loss!r:>25}', '       0.2345678985118866'],
    ['{loss:{w}.{p}f}', '     0.235'],
    ['{name}', 'x'],
    ['plain.keras', 'plain.keras'],
  ])('%s', (template, expected) => {
    expect(formatPython(template, kwargs)).toBe(expected);
  });

  test.each([
    ['{missing}', KeyError, "'missing'"],
    ['{}', IndexError, 'Replacement index 0 out of range for positional args tuple'],
    ['{0}', IndexError, 'Replacement index 0 out of range for positional args tuple'],
    ['{epoch', ValueError, "expected '}' before end of string"],
    ['epoch}', ValueError, "Single '}' encountered in format string"],
    ['{epoch:d}x{loss:d}', ValueError, "Unknown format code 'd' for object of type 'float'"],
    ['{loss:q}', ValueError, "Unknown format code 'q' for object of type 'float'"],
    ['{name:+}', ValueError, 'Sign not allowed in string format specifier'],
    ['{epoch:.2d}', ValueError, 'Precision not allowed in integer format specifier'],
    ['{epoch!x}', ValueError, 'Unknown conversion specifier x'],
  ] as const)('%s fails as Python does', (template, ErrorClass, message) => {
    expect(() => formatPython(template, kwargs)).toThrow(ErrorClass);
    expect(() => formatPython(template, kwargs)).toThrow(message);
  });
});
