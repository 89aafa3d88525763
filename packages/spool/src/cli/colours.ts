import type { CliIo } from './command.js';

/** The part of the CLI's io that decides on colours. */
type ColourIo = Pick<CliIo, 'env' | 'stdoutIsTty' | 'stderrIsTty'>;

/** Functions that colour text for one output stream, or return it unchanged. */
export interface Colours {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const PLAIN: Colours = { red: (t) => t, green: (t) => t, yellow: (t) => t, dim: (t) => t, bold: (t) => t };

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const ANSI: Colours = { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };

/**
 * Colours for standard output or standard error. Off when `NO_COLOR` is set to anything
 * (no-color.org), on when `FORCE_COLOR` is set and not `0`, else on only for a terminal whose
 * `TERM` is not `dumb`: piped or redirected output never carries escape codes.
 */
export function colours(io: ColourIo, stream: 'out' | 'err'): Colours {
  return useColour(io, stream) ? ANSI : PLAIN;
}

/** A job state in the colour that tells it apart: failed red, succeeded green, processing yellow. */
export function paintState(paint: Colours, state: string): string {
  if (state === 'failed') return paint.red(state);
  if (state === 'succeeded') return paint.green(state);
  if (state === 'processing') return paint.yellow(state);
  if (state === 'deleted') return paint.dim(state);
  return state;
}

function useColour(io: ColourIo, stream: 'out' | 'err'): boolean {
  const { NO_COLOR, FORCE_COLOR, TERM } = io.env;
  if (NO_COLOR !== undefined && NO_COLOR !== '') return false;
  if (FORCE_COLOR !== undefined && FORCE_COLOR !== '' && FORCE_COLOR !== '0') return true;
  const tty = stream === 'out' ? io.stdoutIsTty : io.stderrIsTty;
  return tty && TERM !== 'dumb';
}
