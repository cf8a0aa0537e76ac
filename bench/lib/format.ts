/** One line of the report on stdout. */
export const say = (line = '') => process.stdout.write(`${line}\n`);

/** A whole number with thousands separators: 2,034. */
export const f0 = (v: number) => Math.round(v).toLocaleString('en-US');

export const f2 = (v: number) => v.toFixed(2);
