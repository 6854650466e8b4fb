import { Injectable } from '@nestjs/common';

export interface ScriptedAnswer {
  body: unknown;
  status: number;
  delayMs: number;
}

// B-2: a script of answers for /api/work, consumed in order, then the default.
@Injectable()
export class MockScenarioService {
  private script: ScriptedAnswer[] = [];
  private received: number[] = [];

  static readonly DEFAULT: ScriptedAnswer = {
    body: { result: 'work done' },
    status: 200,
    delayMs: 0,
  };

  replace(script: ScriptedAnswer[]): void {
    this.script = [...script];
    this.received = [];
  }

  next(): ScriptedAnswer {
    this.received.push(Date.now());
    return this.script.shift() ?? MockScenarioService.DEFAULT;
  }

  requests(): number[] {
    return [...this.received];
  }
}
