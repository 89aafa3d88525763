import { Spool } from '@spool/core';

/**
 * The Spool client as a Nest injection token: `constructor(private readonly spool: SpoolClient)`
 * gets the instance given to `SpoolModule.forRoot()`. Never constructed: it only names the provider,
 * and types it as the Spool it is.
 */
export abstract class SpoolClient extends Spool {}
