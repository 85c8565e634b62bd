// The last analysis of each notebook (by server path), shared by the badges and the panel.
import { Signal, ISignal } from '@lumino/signaling';

import { fetchPipeline, IPipeline } from './api';
import { setVocabulary } from './tags';

export class PipelineStore {
  private _byPath = new Map<string, IPipeline>();
  private _errors = new Map<string, string>();
  private _changed = new Signal<this, string>(this);

  /** Emits the notebook path whose analysis (or error) changed. */
  get changed(): ISignal<this, string> {
    return this._changed;
  }

  get(path: string): IPipeline | undefined {
    return this._byPath.get(path);
  }

  error(path: string): string | undefined {
    return this._errors.get(path);
  }

  async refresh(path: string): Promise<void> {
    try {
      const pipeline = await fetchPipeline(path);
      setVocabulary(pipeline.vocabulary);
      this._byPath.set(path, pipeline);
      this._errors.delete(path);
    } catch (error) {
      this._errors.set(path, String(error));
    }
    this._changed.emit(path);
  }
}
