import { ErrorCode as SlackErrorCode } from '@slack/web-api';
import { beforeEach, describe, expect, it } from 'vitest';

import { BASE_TEST_ENV } from '../../test/helpers/state';
import { parseConfig } from '../config';
import type { SlackApi } from '../slack/web-client';
import { clearFileChannelsCache, fileChannelsResolver } from './file-channels';

const config = parseConfig({ ...BASE_TEST_ENV, SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true' });

function platformError(error: string): Error {
  return Object.assign(new Error(`An API error occurred: ${error}`), {
    code: SlackErrorCode.PlatformError,
    data: { ok: false, error },
  });
}

function fakeApi(answers: Record<string, Record<string, unknown> | Error>): SlackApi & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    apiCall(method, options) {
      const file = String(options?.file);
      calls.push(`${method} ${file}`);
      const answer = answers[file];
      if (answer === undefined) return Promise.reject(new Error('unexpected file'));
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
}

beforeEach(() => {
  clearFileChannelsCache();
});

describe('files.info channel lookup for detections', () => {
  it('collects channels, groups, ims and shares, and caches the answer', async () => {
    const api = fakeApi({
      F1: {
        ok: true,
        file: {
          id: 'F1',
          channels: ['C2'],
          groups: ['G1'],
          ims: [],
          shares: { public: { C1: [] }, private: { G9: [] } },
        },
      },
    });
    const resolve = fileChannelsResolver(config, api);
    expect(await resolve?.('F1')).toEqual(['C1', 'C2', 'G1', 'G9']);
    expect(await resolve?.('F1')).toEqual(['C1', 'C2', 'G1', 'G9']);
    expect(api.calls).toEqual(['files.info F1']);
  });

  it('a deleted file is in no channel; any other failure is unknown and asked again next time', async () => {
    const api = fakeApi({ F404: platformError('file_not_found'), F403: platformError('missing_scope') });
    const resolve = fileChannelsResolver(config, api);
    expect(await resolve?.('F404')).toEqual([]);
    expect(await resolve?.('F403')).toBeUndefined();
    expect(await resolve?.('F403')).toBeUndefined();
    expect(api.calls.filter((c) => c === 'files.info F403')).toHaveLength(2);
  });

  it('is absent without a bot token', () => {
    expect(fileChannelsResolver(config)).toBeUndefined();
  });
});
