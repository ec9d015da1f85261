// The terminal's height, kept up to date on resize (24 when stdout is not a TTY).
import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export function useTerminalRows(override?: number): number {
  const { stdout } = useStdout();
  const read = () => override ?? (stdout.rows || 24);
  const [rows, setRows] = useState(read);
  useEffect(() => {
    if (override !== undefined) return;
    const onResize = () => setRows(stdout.rows || 24);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, override]);
  return override ?? rows;
}
