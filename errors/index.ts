export { CATALOGUE, isErrorCode, type ErrorCode, type MessageArgs } from './catalogue.js';
export { KadendeError, kadendeError, remoteError, errorCode, errorMessage, hasCode } from './kadende-error.js';
