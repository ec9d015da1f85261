// The naming rule of every record's keys (docs/capture-format.md): snake_case.
export const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
