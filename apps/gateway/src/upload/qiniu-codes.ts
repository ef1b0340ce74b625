import type { Response } from 'express';
import { GatewayError, sendError } from '../http/error.filter';

/**
 * Runs an upload route, answering Qiniu's own 6xx codes (614 file exists, …) itself: the global
 * error filter only passes HTTP 4xx/5xx statuses through, and SDKs switch on these codes.
 */
export async function answerQiniuCodes(res: Response, route: () => Promise<void>): Promise<void> {
  try {
    await route();
  } catch (error) {
    if (error instanceof GatewayError && error.status >= 600 && error.status <= 699) return sendError(res, error.status, error.message);
    throw error;
  }
}
