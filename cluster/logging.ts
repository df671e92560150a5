import pino, { type Logger } from "pino";

/** The one root logger of a process: JSON lines on stderr (stdout carries command output). */
export function createLogger(level: string, name = "fyp"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything (benchmarks, quiet tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
