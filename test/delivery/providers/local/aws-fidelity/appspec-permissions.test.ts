// issue 11.5: appspec `permissions` are validated as the CodeDeploy agent
// validates them (application_specification.rb parse_permissions and
// linux_permission_info.rb, mode_info.rb, ace_info.rb, context_info.rb,
// range_info.rb under lib/instance_agent/plugins/codedeploy/application_specification/;
// the agent's own cases: test/instance_agent/plugins/codedeploy/application_specification_test.rb).
import { describe, expect, it } from 'vitest';
import { parseAppspec } from '../../../../../src/delivery/providers/local/appspec.js';
import { aceText, matchesExcept, matchesPattern, rangeText } from '../../../../../src/delivery/providers/local/appspec-permissions.js';

const HEAD = 'version: 0.0\nos: linux\npermissions:\n';

function permission(lines: string) {
  return parseAppspec(`${HEAD}  - object: /opt/app\n${lines}`).permissions[0]!;
}

function refusal(lines: string): string {
  try {
    parseAppspec(`${HEAD}${lines}`);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    return (error as Error).message;
  }
  throw new Error(`accepted, but the agent refuses:\n${lines}`);
}

describe('issue 11.5: object, pattern, except, type (parse_permissions)', () => {
  it('a permission without object, or with a blank one, is refused', () => {
    expect(refusal('  - pattern: test\n')).toMatch(/permissions\.0: a permission with no object value/);
    expect(refusal('  - object: "  "\n')).toMatch(/no object value/);
  });

  it('defaults: pattern **, no except, type [file, directory]; owner and group as written', () => {
    expect(permission('    owner: bob\n    group: dev\n')).toMatchObject({ object: '/opt/app', pattern: '**', except: [], type: ['file', 'directory'], owner: 'bob', group: 'dev' });
  });

  it('a type other than file or directory is refused (supported_types)', () => {
    expect(refusal('  - object: /x\n    type: [file, link]\n')).toMatch(/object type that is not supported \(link\)/);
  });

  it('type and except written as a single string instead of a list are refused (the agent calls .each on them)', () => {
    expect(refusal('  - object: /x\n    type: file\n')).toMatch(/permissions\.0\.type: expected a list/);
    expect(refusal('  - object: /x\n    except: "*.tmp"\n')).toMatch(/permissions\.0\.except: expected a list/);
  });

  it('matching: a simple glob matches direct children only, except excludes, the object itself never matches (linux_permission_info.rb matches_pattern?)', () => {
    const p = parseAppspec(`${HEAD}  - object: test\n    pattern: 'prefix*'\n    except: ['*ReadMe', '*.tmp']\n    type: [file]\n`).permissions[0]!;
    expect(matchesPattern(p, '/test/prefix')).toBe(true);
    expect(matchesPattern(p, '/test/prefix_matches')).toBe(true);
    expect(matchesPattern(p, '/test/prefix/does_not_match')).toBe(false);
    expect(matchesPattern(p, '/testprefix/')).toBe(false);
    expect(matchesPattern(p, '/test/not_prefix')).toBe(false);
    expect(matchesPattern(p, '/test')).toBe(false);
    expect(matchesExcept(p, '/test/this.tmp')).toBe(true);
    expect(matchesExcept(p, '/test/this_ReadMe')).toBe(true);
    expect(matchesExcept(p, '/test/prefix/does_not_match.tmp')).toBe(false);
    expect(matchesExcept(p, '/test/not_match')).toBe(false);
  });
});

describe('issue 11.5: mode (mode_info.rb)', () => {
  it('a short mode is zero-padded to three digits; four digits carry setuid/setgid/sticky', () => {
    expect(permission('    mode: 75\n').mode).toEqual({ mode: '075' });
    expect(permission('    mode: 6763\n').mode).toEqual({ mode: '6763' });
  });

  it('more than four characters is refused', () => {
    expect(refusal('  - object: /x\n    mode: 77777\n')).toMatch(/permissions\.0\.mode: the mode \(77777\) is too long.*mode_info\.rb/);
  });

  it('a non-octal character is refused', () => {
    expect(refusal('  - object: /x\n    mode: 68\n')).toMatch(/contains an invalid character \(8\)/);
  });

  it('unquoted 0755 is the octal Integer 493 to YAML 1.1, so the agent refuses it ("9")', () => {
    expect(refusal('  - object: /x\n    mode: 0755\n')).toMatch(/the mode \(493\) contains an invalid character \(9\)/);
  });

  it('unquoted 0644 is 420 to YAML 1.1: accepted as mode 420, as the agent does', () => {
    expect(permission('    mode: 0644\n').mode).toEqual({ mode: '420' });
  });

  it('quoted "0755" and plain 755 are both mode 0755', () => {
    expect(permission('    mode: "0755"\n').mode).toEqual({ mode: '0755' });
    expect(permission('    mode: 755\n').mode).toEqual({ mode: '755' });
  });
});

describe('issue 11.5: acls (acl_info.rb, ace_info.rb)', () => {
  it.each([
    ['too few parts', 'rwx'],
    ['too many parts', 'd:u:bob:rwx:x'],
    ['an invalid first part of four', 'x:u:bob:rwx'],
    ['an invalid type', 'x:bob:rwx'],
    ['default twice', 'd:d:bob:rwx'],
    ['mask with a name', 'm:bob:rwx'],
    ['other with a name', 'o:bob:rwx'],
    ['a base entry (use mode)', 'u::rwx'],
    ['an invalid permission character', 'u:bob:rwz'],
  ])('an entry with %s is refused', (_what, ace) => {
    expect(refusal(`  - object: /x\n    acls: ["${ace}"]\n`)).toMatch(/permissions\.0\.acls\.0: .*\(.*\).*ace_info\.rb/);
  });

  it('valid entries of 4, 3 and 2 parts, and a digit for the permissions', () => {
    const acls = permission('    acls: ["d:g:manager:rw", "u:henry:7", "bob:r-x", "m::5"]\n').acls!;
    expect(acls.aces.map(aceText)).toEqual(['default:group:manager:rw-', 'user:henry:rwx', 'user:bob:r-x', 'mask::r-x']);
  });
});

describe('issue 11.5: context (context_info.rb, range_info.rb)', () => {
  it('a context without type is refused', () => {
    expect(refusal('  - object: /x\n    context:\n      name: user_u\n')).toMatch(/permissions\.0\.context: .*no type.*context_info\.rb/);
  });

  it('a full context: name, type, and a range with categories collapsed', () => {
    const context = permission("    context:\n      name: user_u\n      type: unconfined_t\n      range: 's3-s5:c0.c7,c13'\n").context!;
    expect(context).toMatchObject({ user: 'user_u', type: 'unconfined_t', range: { low: 3, high: 5 } });
    expect(rangeText(context.range!)).toBe('s3-s5:c0.c7,c13');
  });

  it.each([
    ['a high sensitivity below the low one', 's5-s3'],
    ['a missing range part', 's0-'],
    ['a sensitivity without s', '3'],
    ['a negative sensitivity', 's-1'],
    ['a missing category part', 's0:'],
    ['a category above 1023', 's0:c1024'],
    ['a reversed category range', 's0:c5.c1'],
    ['duplicate categories', 's0:c1,c0.c3'],
    ['a category without c', 's0:5'],
  ])('a range with %s is refused', (_what, range) => {
    expect(refusal(`  - object: /x\n    context:\n      type: t\n      range: '${range}'\n`)).toMatch(/permissions\.0\.context\.range: .*range_info\.rb/);
  });
});
