/**
 * The sampler of `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`, read here rather than left
 * to the SDK so that the gateway holds it and can ask it before building any span
 * (request-sampling.ts). The SDK's own reading (`buildSamplerFromEnv`) is not exported; this one
 * keeps its names, defaults and fallbacks: an unknown name is `parentbased_always_on`, a missing
 * or out-of-range ratio is 1, each said on OTel's diag logger. Loaded only when tracing is on.
 */
import { diag } from '@opentelemetry/api';

type SdkTraceBase = typeof import('@opentelemetry/sdk-trace-base');

export function samplerFromEnv(env: Record<string, string | undefined>, sdk: SdkTraceBase) {
  const ratio = () => {
    const given = env.OTEL_TRACES_SAMPLER_ARG?.trim();
    const value = given ? Number(given) : Number.NaN;
    if (Number.isNaN(value) || value < 0 || value > 1) {
      diag.error('OTEL_TRACES_SAMPLER_ARG is blank or out of range ([0..1]), defaulting to 1.');
      return 1;
    }
    return value;
  };
  const name = env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratio());
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio()) });
    default:
      if (name !== 'parentbased_always_on') {
        diag.error(
          'OTEL_TRACES_SAMPLER is not one the SDK knows, defaulting to parentbased_always_on.',
        );
      }
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}
