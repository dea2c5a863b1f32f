// mod review-pr <number>: the PR-level release gates as a GitHub review (a bot mode for CI).
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface ReviewPrCommandOptions {
  post: boolean;
}

export const registerReviewPr: CommandRegistration = (program, context, setExit) => {
  program
    .command('review-pr')
    .description("check a pull request against its target environment's gates and post APPROVE or REQUEST_CHANGES with the checklist")
    .argument('<number>', 'pull request number')
    .option('--no-post', 'print the review without posting it')
    .action(commandAction<ReviewPrCommandOptions, [string]>(context, setExit, ({ args: [number], options, globals }, output) => runReviewPr(number, options, globals, context, output)));
};

export async function runReviewPr(number: string, options: ReviewPrCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { reviewPullRequest } = await import('../../delivery/gates/review-pull-request.js');
  const ws = await openWorkspaceFor(globals, context);
  const result = await reviewPullRequest(ws, Number(number), { post: options.post });
  output.result(result, () => (result.skipped ? `#${result.pullRequest} skipped: ${result.reason}` : `${result.body}\n\n${options.post ? `posted ${result.event}${result.reviewUrl ? `: ${result.reviewUrl}` : ''}` : `would post ${result.event}`}`));
  return 0;
}
