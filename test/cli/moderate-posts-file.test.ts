// The posts file of `mod moderate --file`: JSONL and CSV into requests, each
// with the line it came from, and a bad line named with what is wrong.
import { describe, expect, it } from 'vitest';
import { parsePostsFile } from '../../src/cli/commands/moderate-posts-file.js';

describe('parsePostsFile', () => {
  it('reads a CSV as data/ keeps them: comments and other columns skipped, id / kind / user_id kept, multi-line texts', () => {
    const csv = ['# a comment', 'id,text,label,kind,user_id', '1,こんにちは,ok,message,u1', '2,"two', 'lines, quoted",ng,,', '', '3,最後,ok,profile,'].join('\n');
    expect(parsePostsFile(csv, 'posts.csv')).toEqual([
      { line: 3, request: { id: '1', text: 'こんにちは', kind: 'message', userId: 'u1' } },
      { line: 5, request: { id: '2', text: 'two\nlines, quoted' } },
      { line: 7, request: { id: '3', text: '最後', kind: 'profile' } },
    ]);
  });

  it('reads JSONL, skipping blank lines, numbers as ids', () => {
    expect(parsePostsFile('{"text":"a","id":7}\n\n{"text":"b","userId":"u"}\n', 'posts.jsonl')).toEqual([
      { line: 1, request: { text: 'a', id: '7' } },
      { line: 3, request: { text: 'b', userId: 'u' } },
    ]);
  });

  it.each([
    ['posts.jsonl', '{"text":"a"}\n{"text":""}\n', 'posts.jsonl: line 2: "text" is empty'],
    ['posts.jsonl', '{"text":"a"}\n[1]\n', 'posts.jsonl: line 2: expected an object with a string "text"'],
    ['posts.jsonl', '{"id":"x"}\n', 'posts.jsonl: line 1: "text" must be a string, got nothing'],
    ['posts.jsonl', `{"text":"a","id":"${'x'.repeat(201)}"}\n`, 'posts.jsonl: line 1: "id" is 201 characters long (at most 200)'],
    ['posts.jsonl', '{"text":"a\\u0000"}\n', 'posts.jsonl: line 1: "text" holds a NUL character'],
    ['posts.csv', 'body,label\nhello,ok\n', 'posts.csv: line 1: the header must name a "text" column'],
    ['posts.csv', 'text,kind\nhello,message\nbye,tweet\n', 'posts.csv: line 3: "kind" must be one of message, profile, post, got "tweet"'],
    ['posts.csv', 'text,label\nhello,ok,extra\n', 'posts.csv: not valid CSV'],
    ['posts.csv', '# only a comment\ntext\n', 'posts.csv: contains no posts to moderate'],
  ])('%s %j: %s', (file, content, message) => {
    expect(() => parsePostsFile(content, file)).toThrow(message);
  });
});
