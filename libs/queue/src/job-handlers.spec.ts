import { checkJobHandlers, JobHandler, JobHandlerError } from './job-handlers';

@JobHandler('fop')
class FopConsumer {}

@JobHandler('notify')
class NotifyConsumer {}

@JobHandler('notify')
class SecondNotifyConsumer {}

class PlainService {}

describe('checkJobHandlers', () => {
  it('passes when each expected kind has one handler', () => {
    expect(() => checkJobHandlers([FopConsumer, NotifyConsumer, PlainService], ['fop', 'notify'])).not.toThrow();
  });

  it('names a kind nobody handles', () => {
    expect(() => checkJobHandlers([FopConsumer], ['fop', 'notify'])).toThrow(new JobHandlerError("job handlers: job 'notify' has no handler"));
  });

  it('names a kind handled twice, with both handlers', () => {
    expect(() => checkJobHandlers([FopConsumer, NotifyConsumer, SecondNotifyConsumer], ['fop', 'notify'])).toThrow(
      "job 'notify' has 2 handlers: NotifyConsumer, SecondNotifyConsumer",
    );
  });

  it('refuses a handler of a kind the catalogue does not know', () => {
    @JobHandler('thumbnail' as never)
    class Stray {}
    expect(() => checkJobHandlers([Stray], [])).toThrow("job 'thumbnail' is not in the job catalogue");
  });
});
