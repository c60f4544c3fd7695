<?php

declare(strict_types=1);

namespace Stockbridge\Notifications\Observer;

use Magento\Framework\Event\Observer;
use Magento\Sales\Model\Order\Creditmemo;

/**
 * sales_order_creditmemo_save_after: creditmemo.created when the credit memo is new.
 * Later saves of the same credit memo (comments, e-mail flags) send nothing.
 */
class CreditmemoSaved extends AbstractQueueObserver
{
    protected function handle(Observer $observer): void
    {
        $creditmemo = $observer->getEvent()->getData('creditmemo');
        if (!$creditmemo instanceof Creditmemo || !self::isNew($creditmemo)) {
            return;
        }
        $this->queueIfActive(
            'creditmemo.created',
            'creditmemo',
            (int) $creditmemo->getId(),
            (string) $creditmemo->getIncrementId(),
            (int) $creditmemo->getStoreId(),
            self::updatedAt($creditmemo)
        );
    }
}
