import { RecordingUpstream } from './recording-upstream.test-helper';
import { freePort, workspaceRoot } from './workspace.test-helper';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

describe('test helpers', () => {
  it('records requests byte for byte and answers as scripted', async () => {
    const upstream = new RecordingUpstream();
    const url = await upstream.listen();
    upstream.respond((req, res) => {
      res.statusCode = 418;
      res.end(req.body);
    });
    const body = Buffer.from([0, 1, 2, 255]);
    const response = await fetch(`${url}/a//b?q=%2F`, {
      method: 'PUT',
      body,
      headers: { 'X-Case': 'Kept' },
    });
    expect(response.status).toBe(418);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(body);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({
      method: 'PUT',
      url: '/a//b?q=%2F',
      body,
    });
    expect(upstream.requests[0].rawHeaders).toContain('X-Case');
    await upstream.close();
  });

  it('finds free ports and the workspace root', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(existsSync(join(workspaceRoot(), 'nx.json'))).toBe(true);
  });
});
