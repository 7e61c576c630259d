export function chart() {}
