/** The `--stack` option of the commands that name things as a stack does: one guard, one error. */
import { StreamPulseError } from '@streampulse/contracts';
import { isStackName, STACKS, type StackName } from '@streampulse/infra';

/** The stack a command was given, or a CLI_BAD_STACK error naming the stacks there are. */
export function stackOption(stack: string): StackName {
  if (!isStackName(stack)) throw new StreamPulseError('CLI_BAD_STACK', `unknown stack '${stack}'`, { remedy: `pass --stack ${STACKS.join(' or --stack ')}` });
  return stack;
}
