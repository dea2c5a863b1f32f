// `mod doctor` on AWS: one check per thing a deployment needs (credentials,
// the pipeline and its source branch, the CodeBuild project, the deployment
// group's auto-rollback and style (in-place or blue/green with the ALB), its
// CloudWatch alarms, the build log group, the canary's setup when the
// environment has one, and the model bucket's versioning when it names one). A check
// that throws fails on its own; the others still run.
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetProjectsCommand } from '@aws-sdk/client-codebuild';
import { GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy';
import { GetPipelineCommand } from '@aws-sdk/client-codepipeline';
import { GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ModError } from '../../../errors.js';
import type { Environment } from '../../config.js';
import type { DoctorCheck } from '../../provider.js';
import { blueGreenGroupCheck } from './aws-blue-green.js';
import { canarySetupCheck } from './aws-canary.js';
import type { AwsContext } from './aws-context.js';

async function check(name: string, run: () => Promise<Omit<DoctorCheck, 'name'>>): Promise<DoctorCheck> {
  try {
    return { name, ...(await run()) };
  } catch (error) {
    return { name, status: 'fail', detail: `${(error as Error).message}${(error as ModError).hint ? ` (${(error as ModError).hint})` : ''}` };
  }
}

export async function doctorChecks(ctx: AwsContext, env: Environment): Promise<DoctorCheck[]> {
  const { clients, names } = ctx;
  const groupResource = `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`;
  const deploymentGroup = async () => (await clients.call(clients.codedeploy, new GetDeploymentGroupCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup }), groupResource)).deploymentGroupInfo;
  return Promise.all([
    check('credentials', async () => {
      const who = await clients.call(clients.sts, new GetCallerIdentityCommand({}), 'caller identity');
      return { status: 'pass', detail: `${who.Arn} (account ${who.Account})${names.region ? `, region ${names.region}` : ''}` };
    }),
    check('pipeline', async () => {
      const pipeline = (await clients.call(clients.codepipeline, new GetPipelineCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`)).pipeline;
      const source = pipeline?.stages?.flatMap((s) => s.actions ?? []).find((a) => a.actionTypeId?.category === 'Source');
      const branch = source?.configuration?.BranchName;
      if (branch && branch !== env.branch) return { status: 'fail', detail: `${names.pipeline} builds branch ${branch}, but mod.config.yml says ${env.branch}` };
      return { status: 'pass', detail: `${names.pipeline} (source branch ${branch ?? 'not declared'})` };
    }),
    check('codebuild project', async () => {
      const found = await clients.call(clients.codebuild, new BatchGetProjectsCommand({ names: [names.codebuildProject] }), `project ${names.codebuildProject}`);
      return found.projects?.length ? { status: 'pass', detail: names.codebuildProject } : { status: 'fail', detail: `${names.codebuildProject} does not exist` };
    }),
    check('deployment group', async () => {
      const rollback = (await deploymentGroup())?.autoRollbackConfiguration;
      if (!rollback?.enabled || !rollback.events?.includes('DEPLOYMENT_FAILURE')) {
        return { status: 'fail', detail: `${names.codedeployApplication}/${names.deploymentGroup} has no auto-rollback on deployment failure (enable it in the deployment group)` };
      }
      return { status: 'pass', detail: `${names.codedeployApplication}/${names.deploymentGroup}, auto-rollback on ${rollback.events.join(', ')}` };
    }),
    check('deployment style', async () => blueGreenGroupCheck(await deploymentGroup(), env, names)),
    ...(env.canary ? [check('canary', () => canarySetupCheck(ctx))] : []),
    ...(names.modelBucket ? [check('model bucket', () => modelBucketCheck(ctx))] : []),
    check('alarms', async () => {
      const group = await deploymentGroup();
      const alarmNames = group?.alarmConfiguration?.enabled ? (group.alarmConfiguration.alarms ?? []).map((a) => a.name!).filter(Boolean) : [];
      if (alarmNames.length === 0) return { status: 'warn', detail: 'the deployment group watches no CloudWatch alarms: a bad deploy that passes ValidateService is not rolled back' };
      const found = await clients.call(clients.cloudwatch, new DescribeAlarmsCommand({ AlarmNames: alarmNames }), `alarms ${alarmNames.join(', ')}`);
      const missing = alarmNames.filter((n) => !found.MetricAlarms?.some((a) => a.AlarmName === n));
      return missing.length ? { status: 'fail', detail: `alarms not found: ${missing.join(', ')}` } : { status: 'pass', detail: alarmNames.join(', ') };
    }),
    check('build logs', async () => {
      const groups = await clients.call(clients.logs, new DescribeLogGroupsCommand({ logGroupNamePrefix: names.logGroup }), `log group ${names.logGroup}`);
      return groups.logGroups?.some((g) => g.logGroupName === names.logGroup) ? { status: 'pass', detail: names.logGroup } : { status: 'warn', detail: `${names.logGroup} does not exist yet (CodeBuild creates it on the first build)` };
    }),
  ]);
}

/** Issue 13: model releases name exact object versions, so the model bucket must keep them (versioning enabled). */
export async function modelBucketCheck(ctx: Pick<AwsContext, 'clients' | 'names'>): Promise<Omit<DoctorCheck, 'name'>> {
  const bucket = ctx.names.modelBucket!;
  const answer = await ctx.clients.call(ctx.clients.s3, new GetBucketVersioningCommand({ Bucket: bucket }), `s3://${bucket}`);
  if (answer.Status === 'Enabled') return { status: 'pass', detail: `s3://${bucket} (versioning enabled), pointer ${ctx.names.modelParameter}` };
  return {
    status: 'fail',
    detail: `s3://${bucket} has versioning ${answer.Status ?? 'never enabled'}: a model release must name exact object versions (aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled)`,
  };
}
