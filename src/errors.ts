// The `code` seqtorch sets on errors that are neither argument-type (TypeError) nor range
// (RangeError) mistakes, so callers can tell a missing device from a bug.

export const ErrorCode = {
  /** A device that is not there, or operands on different devices. */
  device: 'SEQTORCH_DEVICE',
  /** A bug inside seqtorch (a caught panic), never the caller's fault: please report it. */
  internal: 'SEQTORCH_INTERNAL',
} as const
