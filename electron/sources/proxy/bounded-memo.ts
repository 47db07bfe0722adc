/**
 * `compute` remembered per key, for values the proxy derives on every request from what clients and
 * upstreams send (header values, route names, client keys): they repeat request after request, but
 * come from outside, so the memory is emptied once it holds `limit` keys rather than grown for ever.
 */
export function boundedMemo<K, V>(limit: number, compute: (key: K) => V): (key: K) => V {
  const known = new Map<K, V>();
  return (key) => {
    if (known.has(key)) return known.get(key)!;
    const value = compute(key);
    if (known.size >= limit) known.clear();
    known.set(key, value);
    return value;
  };
}
