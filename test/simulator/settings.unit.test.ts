import { describe, expect, it } from 'vitest';
import { readSimulatorSettings } from '../../src/simulator/index.js';

describe('readSimulatorSettings', () => {
  it('defaults to 127.0.0.1:4010', () => {
    expect(readSimulatorSettings({})).toEqual({ host: '127.0.0.1', port: 4010 });
  });

  it('treats empty values as unset', () => {
    expect(readSimulatorSettings({ SIMULATOR_HOST: '', SIMULATOR_PORT: '' })).toEqual({
      host: '127.0.0.1',
      port: 4010,
    });
  });

  it('reads SIMULATOR_HOST and SIMULATOR_PORT', () => {
    expect(readSimulatorSettings({ SIMULATOR_HOST: '0.0.0.0', SIMULATOR_PORT: '0' })).toEqual({
      host: '0.0.0.0',
      port: 0,
    });
  });

  it('reports every problem in one error', () => {
    expect(() =>
      readSimulatorSettings({ SIMULATOR_HOST: 'local host', SIMULATOR_PORT: '70000' }),
    ).toThrow(
      [
        'Invalid simulator settings:',
        '  - SIMULATOR_HOST must be a host name or IP address without spaces (got "local host").',
        '  - SIMULATOR_PORT must be an integer from 0 to 65535 (got "70000").',
      ].join('\n'),
    );
  });

  it.each(['abc', '-1', '80.5', '1e3'])('rejects SIMULATOR_PORT=%s', (port) => {
    expect(() => readSimulatorSettings({ SIMULATOR_PORT: port })).toThrow(/SIMULATOR_PORT/);
  });
});
