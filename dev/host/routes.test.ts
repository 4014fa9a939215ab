import { describe, expect, it } from 'vitest';

import { compareRoutes, compileRoute } from './routes';

describe('route templates', () => {
  it.each([
    // [template, path, expected params or undefined for no match]
    ['hello/{name}', 'hello/ada', { name: 'ada' }],
    ['hello/{name}', 'HELLO/Ada', { name: 'Ada' }],
    ['hello/{name}', 'hello/ada/', { name: 'ada' }],
    ['hello/{name}', 'hello', undefined],
    ['hello/{name}', 'hello/ada/extra', undefined],
    ['hello/{name}', 'hello/a%20b', { name: 'a b' }],
    ['items/{id:int}', 'items/42', { id: '42' }],
    ['items/{id:int}', 'items/-7', { id: '-7' }],
    ['items/{id:int}', 'items/abc', undefined],
    ['items/{id:int}', 'items/99999999999', undefined],
    ['items/{id:long}', 'items/99999999999', { id: '99999999999' }],
    ['items/{name:alpha}', 'items/abc', { name: 'abc' }],
    ['items/{name:alpha}', 'items/ab1', undefined],
    ['items/{name:alpha:minlength(3)}', 'items/ab', undefined],
    ['items/{id:guid}', 'items/1b4e28ba-2fa1-11d2-883f-0016d3cca427', { id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' }],
    ['items/{flag:bool}', 'items/TRUE', { flag: 'TRUE' }],
    ['items/{n:range(1,5)}', 'items/6', undefined],
    ['items/{code:regex(^[a-z]{{2}}\\d$)}', 'items/ab1', { code: 'ab1' }],
    ['items/{code:regex(^[a-z]{{2}}\\d$)}', 'items/abc1', undefined],
    ['orders/{id?}', 'orders', {}],
    ['orders/{id?}', 'orders/5', { id: '5' }],
    ['orders/{id?}/{part?}', 'orders/5/lines', { id: '5', part: 'lines' }],
    ['orders/{page=1}', 'orders', { page: '1' }],
    ['orders/{page=1}', 'orders/3', { page: '3' }],
    ['files/{*rest}', 'files/a/b/c.txt', { rest: 'a/b/c.txt' }],
    ['files/{*rest}', 'files', {}],
    ['files/{**rest}', 'files/x', { rest: 'x' }],
    ['dl/{name}.{ext}', 'dl/archive.tar.gz', { name: 'archive.tar', ext: 'gz' }],
    ['dl/{name}.{ext?}', 'dl/readme', { name: 'readme' }],
    ['v{version:int}/ping', 'V2/ping', { version: '2' }],
    ['', '', {}],
    ['/leading/slash/', 'leading/slash', {}],
  ])('%s matches %s → %j', (template, path, expected) => {
    expect(compileRoute(template).match(path)).toEqual(expected);
  });

  it.each([
    ['a/{x}/{x}', /appears twice/],
    ['a/{*rest}/b', /catch-all/],
    ['a/{x?}/b', /optional/],
    ['a/{x:nope}', /could not be resolved/],
    ['a/{x', /unclosed/],
    ['a/{x}{y}', /separated by a literal/],
    ['a//b', /empty segment/],
    ['a/{x:minlength}', /numeric argument/],
  ])('rejects %s', (template, message) => {
    expect(() => compileRoute(template)).toThrow(message);
  });

  it('orders literal before constrained before plain before catch-all', () => {
    const templates = ['items/{*rest}', 'items/{name}', 'items/{id:int}', 'items/new'];
    const sorted = templates.map(compileRoute).sort(compareRoutes);
    expect(sorted.map((r) => r.template)).toEqual(['items/new', 'items/{id:int}', 'items/{name}', 'items/{*rest}']);
  });
});
